package orchestrate.conversion;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufException;
import orchestrate.gguf.GgufValue;
import orchestrate.gguf.GgufOutput;
import orchestrate.quant.BlockCodec;

/**
 * Writes several GGUF files from one source in a single pass: each window of rows is read once and
 * encoded into every output's type for that tensor. Encoding is spread over threads by chunks of
 * rows; a row's bytes depend only on the row, so the files are the same whatever the thread count.
 */
public final class SinglePass {

    /**
     * One file to write: where, each tensor's type (in source order), its metadata, and the most
     * tensor data a file may hold before the output is written in parts (0: one file, whatever its size).
     */
    public record Output(Path target, List<GgmlType> types, Map<String, GgufValue> metadata, long splitSize) {

        public Output(Path target, List<GgmlType> types, Map<String, GgufValue> metadata) {
            this(target, types, metadata, 0);
        }

        public Output splitAt(long size) {
            return new Output(target, types, metadata, size);
        }
    }

    public interface Progress {
        void bytes(long done, long total);
    }

    /** Source elements per window (whole rows): 16 MiB of floats. */
    private static final int WINDOW_ELEMENTS = 4 << 20;
    /** Elements per unit of work handed to a thread. */
    private static final int CHUNK_ELEMENTS = 1 << 16;

    private SinglePass() {}

    /** The exact size of {@code output} once written (all its parts together), before anything is. */
    public static long size(TensorSource source, Output output) throws GgufException {
        return declare(source, output).plannedSize(); // a writer that never writes its header opens nothing
    }

    /** The files {@code output} will be written as: itself, or its parts. */
    public static List<Path> files(TensorSource source, Output output) throws GgufException {
        return declare(source, output).files();
    }

    /** Writes every output; returns each file written (an output in parts is several), in order. */
    public static List<GgufOutput.Written> run(TensorSource source, List<Output> outputs, int threads, Progress progress)
            throws IOException, GgufException {
        List<GgufOutput> writers = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, "quantize");
            thread.setDaemon(true);
            return thread;
        });
        try {
            for (Output output : outputs) {
                GgufOutput writer = declare(source, output);
                writers.add(writer);
                writer.writeHeader();
            }
            List<Map<GgmlType, BlockCodec>> codecs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                codecs.add(new EnumMap<>(GgmlType.class));
            }
            List<TensorSource.Tensor> tensors = source.tensors();
            long total = tensors.stream().mapToLong(TensorSource.Tensor::sourceBytes).sum();
            long done = 0;
            float[] values = new float[0];
            byte[][] encoded = new byte[outputs.size()][];
            for (int index = 0; index < tensors.size(); index++) {
                TensorSource.Tensor tensor = tensors.get(index);
                int rowLength = Math.toIntExact(tensor.rowLength());
                int windowRows = (int) Math.min(tensor.rows(), Math.max(1, WINDOW_ELEMENTS / rowLength));
                if (values.length < windowRows * rowLength) {
                    values = new float[windowRows * rowLength];
                }
                GgmlType[] types = new GgmlType[outputs.size()];
                for (int o = 0; o < outputs.size(); o++) {
                    types[o] = outputs.get(o).types().get(index);
                    int bytes = (int) types[o].bytesFor((long) windowRows * rowLength);
                    if (encoded[o] == null || encoded[o].length < bytes) {
                        encoded[o] = new byte[bytes];
                    }
                }
                long bytesPerRow = tensor.sourceBytes() / tensor.rows();
                for (long first = 0; first < tensor.rows(); first += windowRows) {
                    int rows = (int) Math.min(windowRows, tensor.rows() - first);
                    source.read(tensor, first, rows, values);
                    encode(pool, threads, codecs, values, rows, rowLength, types, encoded);
                    for (int o = 0; o < outputs.size(); o++) {
                        writers.get(o).write(tensor.name(), ByteBuffer.wrap(encoded[o], 0, (int) types[o].bytesFor((long) rows * rowLength)));
                    }
                    done += rows * bytesPerRow;
                    progress.bytes(done, total);
                }
                source.done(tensor);
            }
            List<GgufOutput.Written> written = new ArrayList<>();
            for (GgufOutput writer : writers) {
                written.addAll(writer.finish());
            }
            return written;
        } finally {
            pool.shutdownNow();
            closeAll(writers);
        }
    }

    /** Closes every writer, so each unfinished one removes its temporary file, even when an earlier close fails. */
    private static void closeAll(List<GgufOutput> writers) throws IOException {
        IOException first = null;
        for (GgufOutput writer : writers) {
            try {
                writer.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static GgufOutput declare(TensorSource source, Output output) {
        GgufOutput writer = new GgufOutput(output.target(), output.splitSize());
        output.metadata().forEach(writer::put);
        List<TensorSource.Tensor> tensors = source.tensors();
        for (int i = 0; i < tensors.size(); i++) {
            writer.addTensor(tensors.get(i).name(), tensors.get(i).dims(), output.types().get(i));
        }
        return writer;
    }

    /** Encodes {@code rows} rows into every output's buffer, chunks of rows taken by whichever thread is free. */
    private static void encode(ExecutorService pool, int threads, List<Map<GgmlType, BlockCodec>> codecs, float[] values, int rows,
                               int rowLength, GgmlType[] types, byte[][] encoded) throws IOException {
        int chunkRows = Math.max(1, CHUNK_ELEMENTS / rowLength);
        int chunks = (rows + chunkRows - 1) / chunkRows;
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < Math.min(threads, chunks); t++) {
            Map<GgmlType, BlockCodec> mine = codecs.get(t);
            work.add(pool.submit(() -> {
                for (int chunk = next.getAndIncrement(); chunk < chunks; chunk = next.getAndIncrement()) {
                    int firstRow = chunk * chunkRows;
                    int count = Math.min(chunkRows, rows - firstRow) * rowLength;
                    for (int o = 0; o < types.length; o++) {
                        int outOffset = (int) types[o].bytesFor((long) firstRow * rowLength);
                        mine.computeIfAbsent(types[o], BlockCodec::of).quantize(values, firstRow * rowLength, count, encoded[o], outOffset);
                    }
                }
            }));
        }
        try {
            for (Future<?> future : work) {
                future.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("quantization interrupted");
        } catch (ExecutionException e) {
            throw new IllegalStateException("quantizing failed", e.getCause());
        }
    }
}
