package orchestrate.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.Architecture;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufFile;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Conversion streams: a checkpoint with Phi-4's full-width tensors converts to F16 in a JVM whose whole heap
 * is smaller than its largest tensors (the 980 MiB embedding and output head).
 */
class BoundedHeapConversionTest {

    private static final long HEAP = 512L << 20;

    @TempDir
    Path dir;

    /**
     * Phi-4's real widths (hidden 5120, 40/10 heads, intermediate 17920, 100,352 embedding rows: a 1 GB embedding
     * and a 1 GB output head), data left as holes. Every layer streams the same way, so by default two of its
     * forty layers keep the test's disk at 3.4 GB; {@code -Dorchestrate.phi4.layers=40} converts all of Phi-4
     * (a dense 29 GB output).
     */
    private static final int LAYERS = Integer.getInteger("orchestrate.phi4.layers", 2);
    private static final CheckpointSpec PHI4_WIDTHS = new CheckpointSpec(Architecture.PHI3, 5120, LAYERS, 40, 10, 128, 17920, 100352, 560, false, 3, true, false);

    @Test
    void aCheckpointWhoseEmbeddingIsLargerThanTheWholeHeapConvertsInIt() throws Exception {
        Path model = dir.resolve("model");
        CheckpointGenerator.write(PHI4_WIDTHS, model, 1);
        Path out = dir.resolve("phi4-widths-F16.gguf");
        long embedding = 100352L * 5120 * 2;
        assertTrue(embedding > HEAP, "the test means something only if a tensor cannot fit in the heap");

        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(java, "-Xmx" + (HEAP >> 20) + "m", "-cp", System.getProperty("java.class.path"),
                ConvertInChild.class.getName(), model.toString(), out.toString()).redirectErrorStream(true).start();
        String printed = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(300, TimeUnit.SECONDS), "conversion did not finish in 300 s");
        assertEquals(0, child.exitValue(), printed);

        long peakHeap = Long.parseLong(printed.lines().filter(l -> l.startsWith("PEAK_HEAP ")).findFirst().orElseThrow().substring(10));
        assertTrue(peakHeap < HEAP, "peak heap " + (peakHeap >> 20) + " MiB");
        GgufFile file = GgufFile.read(out);
        assertEquals(3 + LAYERS * 6, file.tensors().size());
        assertEquals(GgmlType.F16, file.tensor("token_embd.weight").type());
        assertEquals(embedding, file.tensor("token_embd.weight").bytes());
        assertEquals(file.fileSize(), Files.size(out));
    }

    /** The child JVM: converts and prints the most heap it used. */
    public static final class ConvertInChild {

        public static void main(String[] args) throws Exception {
            GgufConversion.run(Path.of(args[0]), Path.of(args[1]), GgmlType.F16, "phi4-widths", null, (done, total) -> { });
            long peak = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                    .mapToLong(p -> p.getPeakUsage().getUsed()).sum();
            System.out.println("PEAK_HEAP " + peak);
        }
    }
}
