package orchestrate.conversion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.Architecture;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufFile;
import orchestrate.model.CheckpointSource;
import orchestrate.quant.FileType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single pass at Phi-4's real widths (a 1 GB embedding, a 1 GB output head; two of its forty
 * layers, 3.4 GB, data left as holes): Q4_K_M and Q3_K_M together, with delete-source, in a child
 * JVM whose heap is half the size of the embedding. Measured there: the peak heap, and the most
 * extra disk the pass used, which must be what the plan said before any work.
 */
class SinglePassBoundsTest {

    private static final long HEAP = 512L << 20;
    private static final CheckpointSpec PHI4_WIDTHS = new CheckpointSpec(Architecture.PHI3, 5120, 2, 40, 10, 128, 17920, 100352, 560, false, 3, true, false);

    @TempDir
    Path dir;

    @Test
    void twoTypesFromPhi4WidthsInHalfTheEmbeddingsHeapWithThePlannedPeakDisk() throws Exception {
        Path model = dir.resolve("model");
        CheckpointGenerator.write(PHI4_WIDTHS, model, 1);
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(java, "-Xmx" + (HEAP >> 20) + "m", "-cp", System.getProperty("java.class.path"),
                QuantizeInChild.class.getName(), model.toString(), dir.toString()).redirectErrorStream(true).start();
        String printed = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(600, TimeUnit.SECONDS), "the pass did not finish in 600 s");
        assertEquals(0, child.exitValue(), printed);

        long peakHeap = number(printed, "PEAK_HEAP");
        long planned = number(printed, "PLANNED_PEAK_DISK");
        long measured = number(printed, "MEASURED_PEAK_DISK");
        System.out.printf("peak heap %d MiB, peak extra disk planned %d bytes, measured %d bytes%n", peakHeap >> 20, planned, measured);
        assertTrue(peakHeap < HEAP, "peak heap " + (peakHeap >> 20) + " MiB");
        // The plan counts whole tensors; the files lag by what their write buffers (1 MiB each) still hold.
        assertTrue(measured <= planned && measured > planned - (4 << 20), "planned " + planned + ", measured " + measured);
        assertTrue(planned < 1_000_000_000L, "with delete-source the pass needs well under the 5.9 GB of its two outputs: " + planned);
        try (Stream<Path> files = Files.list(model)) {
            assertEquals(List.of(), files.filter(p -> p.toString().endsWith(".safetensors")).toList(), "every shard consumed");
        }
        GgufFile q4 = GgufFile.read(dir.resolve("phi4-Q4_K_M.gguf"));
        assertEquals(GgmlType.Q6_K, q4.tensor("output.weight").type());
        assertEquals(q4.fileSize(), Files.size(dir.resolve("phi4-Q4_K_M.gguf")));
    }

    private static long number(String printed, String key) {
        return Long.parseLong(printed.lines().filter(l -> l.startsWith(key + " ")).findFirst().orElseThrow(() -> new AssertionError(printed))
                .substring(key.length() + 1));
    }

    /** The child JVM: plans, runs the pass while sampling the logical bytes on disk, prints what it measured. */
    public static final class QuantizeInChild {

        public static void main(String[] args) throws Exception {
            Path model = Path.of(args[0]);
            Path dir = Path.of(args[1]);
            long before = bytes(dir);
            long[] peak = {0};
            try (CheckpointSource source = new CheckpointSource(model, "phi4", null, null, file -> {
                peak[0] = Math.max(peak[0], bytes(dir) - before); // just before the shard goes: the moment of most disk
                Files.delete(model.resolve(file));
            })) {
                List<FileType> types = List.of(FileType.Q4_K_M, FileType.Q3_K_M);
                QuantizePlan plan = new QuantizePlan(source, types, types.stream().map(t -> dir.resolve("phi4-" + t + ".gguf")).toList());
                SinglePass.run(source, plan.outputs(), Runtime.getRuntime().availableProcessors(), (done, total) -> { });
                peak[0] = Math.max(peak[0], bytes(dir) - before);
                System.out.println("PLANNED_PEAK_DISK " + plan.peakExtraDisk());
            }
            System.out.println("MEASURED_PEAK_DISK " + peak[0]);
            System.out.println("PEAK_HEAP " + ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                    .mapToLong(p -> p.getPeakUsage().getUsed()).sum());
        }

        /** Logical bytes of every file under dir (the shards are sparse, so blocks on disk would not count them). */
        private static long bytes(Path dir) throws java.io.IOException {
            try (Stream<Path> files = Files.walk(dir)) {
                return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            }
        }
    }
}
