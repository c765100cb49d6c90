package orchestrate.conversion;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
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

    /**
     * Writes every output; returns each file written (an output in parts is several), in order.
     * Three things overlap: while the threads encode one window, this thread reads and decodes the
     * next, and a writer thread writes (and hashes) the one before.
     */
    public static List<GgufOutput.Written> run(TensorSource source, List<Output> outputs, int threads, Progress progress)
            throws IOException, GgufException {
        List<GgufOutput> writers = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads, daemons("quantize"));
        ExecutorService writing = Executors.newSingleThreadExecutor(daemons("write-gguf"));
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
            List<Window> windows = windows(tensors, outputs);
            Buffers[] buffers = {new Buffers(outputs.size()), new Buffers(outputs.size())};
            if (!windows.isEmpty()) {
                read(source, windows.get(0), buffers[0]);
            }
            Future<?> written = CompletableFuture.completedFuture(null);
            for (int k = 0; k < windows.size(); k++) {
                Window window = windows.get(k);
                Buffers buffer = buffers[k % 2];
                buffer.reserveEncoded(window);
                List<Future<?>> encoding = encode(pool, threads, codecs, window, buffer);
                await(written);
                if (k > 0) {
                    done += finished(source, windows.get(k - 1), progress, done, total);
                }
                if (k + 1 < windows.size()) {
                    read(source, windows.get(k + 1), buffers[(k + 1) % 2]);
                }
                for (Future<?> work : encoding) {
                    await(work);
                }
                written = writing.submit(() -> {
                    write(writers, window, buffer);
                    return null;
                });
            }
            await(written);
            if (!windows.isEmpty()) {
                finished(source, windows.get(windows.size() - 1), progress, done, total);
            }
            List<GgufOutput.Written> files = new ArrayList<>();
            for (GgufOutput writer : writers) {
                files.addAll(writer.finish());
            }
            return files;
        } finally {
            pool.shutdownNow();
            writing.shutdownNow();
            awaitQuiet(writing); // a write still running must not race the removal of its file
            closeAll(writers);
        }
    }

    /**
     * Rows {@code first..first+rows} of one tensor, with each output's type for it; {@code sameAs[o]}
     * is the first output of the same type, whose bytes output o shares (they are the same bytes).
     */
    private record Window(TensorSource.Tensor tensor, long first, int rows, GgmlType[] types, int[] sameAs, boolean last) {

        int rowLength() {
            return Math.toIntExact(tensor.rowLength());
        }

        int encodedBytes(int o) {
            return (int) types[o].bytesFor((long) rows * rowLength());
        }
    }

    /** A window's values, and its bytes in each output's type. */
    private static final class Buffers {
        float[] values = new float[0];
        final byte[][] encoded;

        Buffers(int outputs) {
            encoded = new byte[outputs][0];
        }

        void reserveEncoded(Window window) {
            for (int o = 0; o < encoded.length; o++) {
                if (window.sameAs()[o] == o && encoded[o].length < window.encodedBytes(o)) {
                    encoded[o] = new byte[window.encodedBytes(o)];
                }
            }
        }
    }

    private static List<Window> windows(List<TensorSource.Tensor> tensors, List<Output> outputs) {
        List<Window> windows = new ArrayList<>();
        for (int index = 0; index < tensors.size(); index++) {
            TensorSource.Tensor tensor = tensors.get(index);
            GgmlType[] types = new GgmlType[outputs.size()];
            int[] sameAs = new int[outputs.size()];
            for (int o = 0; o < outputs.size(); o++) {
                types[o] = outputs.get(o).types().get(index);
                sameAs[o] = o;
                for (int p = 0; p < o && sameAs[o] == o; p++) {
                    if (types[p] == types[o]) {
                        sameAs[o] = p;
                    }
                }
            }
            int windowRows = (int) Math.min(tensor.rows(), Math.max(1, WINDOW_ELEMENTS / tensor.rowLength()));
            for (long first = 0; first < tensor.rows(); first += windowRows) {
                int rows = (int) Math.min(windowRows, tensor.rows() - first);
                windows.add(new Window(tensor, first, rows, types, sameAs, first + rows == tensor.rows()));
            }
        }
        return windows;
    }

    private static void read(TensorSource source, Window window, Buffers buffer) throws IOException, GgufException {
        int elements = window.rows() * window.rowLength();
        if (buffer.values.length < elements) {
            buffer.values = new float[elements];
        }
        source.read(window.tensor(), window.first(), window.rows(), buffer.values);
    }

    private static void write(List<GgufOutput> writers, Window window, Buffers buffer) throws IOException, GgufException {
        for (int o = 0; o < writers.size(); o++) {
            writers.get(o).write(window.tensor().name(), ByteBuffer.wrap(buffer.encoded[window.sameAs()[o]], 0, window.encodedBytes(o)));
        }
    }

    /** A window is in every output: reports progress and, after a tensor's last rows, tells the source. Returns the source bytes it stood for. */
    private static long finished(TensorSource source, Window window, Progress progress, long done, long total) throws IOException {
        long bytes = window.rows() * (window.tensor().sourceBytes() / window.tensor().rows());
        progress.bytes(done + bytes, total);
        if (window.last()) {
            source.done(window.tensor());
        }
        return bytes;
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

    /**
     * Starts encoding a window into every output's buffer (an output sharing another's type shares
     * its bytes), chunks of rows taken by whichever thread is free; returns the threads' work.
     */
    private static List<Future<?>> encode(ExecutorService pool, int threads, List<Map<GgmlType, BlockCodec>> codecs, Window window, Buffers buffer) {
        int rowLength = window.rowLength();
        int rows = window.rows();
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
                    for (int o = 0; o < window.types().length; o++) {
                        if (window.sameAs()[o] != o) {
                            continue;
                        }
                        GgmlType type = window.types()[o];
                        int outOffset = (int) type.bytesFor((long) firstRow * rowLength);
                        mine.computeIfAbsent(type, BlockCodec::of).quantize(buffer.values, firstRow * rowLength, count, buffer.encoded[o], outOffset);
                    }
                }
            }));
        }
        return work;
    }

    /** Waits for one piece of work, passing on its failure as what it was. */
    private static void await(Future<?> work) throws IOException, GgufException {
        try {
            work.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("quantization interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof GgufException gguf) {
                throw gguf;
            }
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("quantizing failed", cause);
        }
    }

    private static void awaitQuiet(ExecutorService executor) {
        try {
            executor.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory daemons(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
