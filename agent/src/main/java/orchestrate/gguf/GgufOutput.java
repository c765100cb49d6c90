package orchestrate.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import orchestrate.files.Parts;

/**
 * One GGUF file, or, when it would be larger than a split size, the parts llama.cpp's gguf-split
 * cuts it into, byte for byte: tensors go to a part in order while their data (each padded to 32
 * bytes) fits the size; the first part has every metadata key, each part has {@code split.no},
 * {@code split.count} and {@code split.tensors.count}, and llama.cpp loads the set from the first.
 * Written in one pass like {@link GgufWriter}: each part takes its name when whole, and an
 * unfinished output leaves none of its parts behind.
 */
public final class GgufOutput implements AutoCloseable {

    public record Written(Path file, long size, String sha256) {}

    private record Declared(String name, long[] dims, GgmlType type) {}

    private final Path target;
    private final long splitSize;
    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<Declared> tensors = new ArrayList<>();
    private final Map<String, Integer> partOf = new HashMap<>();
    private final List<Written> written = new ArrayList<>();
    private List<GgufWriter> writers;
    private int current = -1;
    private boolean finished;

    /** @param splitSize the most tensor data a part may hold, in bytes; 0 for one file whatever its size */
    public GgufOutput(Path target, long splitSize) {
        if (splitSize < 0) {
            throw new IllegalArgumentException("split size " + splitSize);
        }
        this.target = target;
        this.splitSize = splitSize;
    }

    public void put(String key, GgufValue value) {
        requireUndeclared();
        metadata.put(key, value);
    }

    public void addTensor(String name, long[] dims, GgmlType type) {
        requireUndeclared();
        tensors.add(new Declared(name, dims.clone(), type));
    }

    /** The files this output will be, first to last. */
    public List<Path> files() throws GgufException {
        return declare().stream().map(GgufWriter::target).toList();
    }

    /** The size of every file together, known before anything is written. */
    public long plannedSize() throws GgufException {
        return declare().stream().mapToLong(GgufWriter::plannedSize).sum();
    }

    /** Starts writing: from here on only tensor data, in declared order. */
    public void writeHeader() throws IOException, GgufException {
        declare();
        // What an earlier write left must not sit beside this one: parts of another count, or the whole file parts replace.
        Parts.deleteAll(target);
        if (writers.size() > 1) {
            Files.deleteIfExists(target);
        }
        open(0);
    }

    /** Appends bytes of the next tensor; a tensor may be written in several calls. */
    public void write(String name, ByteBuffer data) throws IOException, GgufException {
        Integer part = partOf.get(name);
        if (part == null) {
            throw new GgufException("tensor " + name + " was not declared");
        }
        if (part != current) {
            if (part != current + 1) {
                throw new GgufException("tensor " + name + " written out of order");
            }
            closePart();
            open(part);
        }
        writers.get(current).write(name, data);
    }

    /** Ends the last file; returns every file written, first to last, with its size and SHA-256. */
    public List<Written> finish() throws IOException, GgufException {
        if (current != writers.size() - 1) {
            throw new GgufException("only " + current + " of " + writers.size() + " parts of " + target.getFileName() + " were written");
        }
        closePart();
        finished = true;
        return List.copyOf(written);
    }

    /** Removes an unfinished output: the part being written and the parts already whole. */
    @Override
    public void close() throws IOException {
        if (writers == null || finished) {
            return;
        }
        IOException first = null;
        for (GgufWriter writer : writers) {
            try {
                writer.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        for (Written part : written) {
            Files.deleteIfExists(part.file());
        }
        if (first != null) {
            throw first;
        }
    }

    private void open(int part) throws IOException {
        current = part;
        writers.get(part).writeHeader();
    }

    private void closePart() throws IOException, GgufException {
        if (current >= 0) {
            GgufWriter writer = writers.get(current);
            String sha256 = writer.finish();
            written.add(new Written(writer.target(), writer.bytesWritten(), sha256));
        }
    }

    private void requireUndeclared() {
        if (writers != null) {
            throw new IllegalStateException("the files are already planned");
        }
    }

    /** Cuts the tensors into parts as gguf-split does, once, and declares each part's writer. */
    private List<GgufWriter> declare() throws GgufException {
        if (writers != null) {
            return writers;
        }
        List<List<Declared>> parts = new ArrayList<>();
        parts.add(new ArrayList<>());
        long inPart = 0;
        for (Declared tensor : tensors) {
            long bytes = GgufFile.align(tensor.type().bytesFor(elements(tensor.dims())), GgufFile.DEFAULT_ALIGNMENT);
            if (splitSize > 0 && bytes > splitSize) {
                throw new GgufException(String.format(Locale.ROOT, "tensor %s is %,d bytes in %s, more than the split size of %,d bytes: no part could hold it",
                        tensor.name(), bytes, tensor.type(), splitSize));
            }
            if (splitSize > 0 && inPart + bytes > splitSize) {
                parts.add(new ArrayList<>());
                inPart = 0;
            }
            inPart += bytes;
            parts.get(parts.size() - 1).add(tensor);
        }
        List<GgufWriter> declared = new ArrayList<>();
        for (int p = 0; p < parts.size(); p++) {
            GgufWriter writer = new GgufWriter(parts.size() == 1 ? target : Parts.part(target, p, parts.size()), GgufFile.DEFAULT_ALIGNMENT);
            if (p == 0) {
                metadata.forEach(writer::put);
            }
            if (parts.size() > 1) {
                // gguf-split's order: it sets split.count last, once it knows the count, which moves the key to the end
                writer.put("split.no", GgufValue.uint16(p));
                writer.put("split.tensors.count", GgufValue.int32(tensors.size()));
                writer.put("split.count", GgufValue.uint16(parts.size()));
            }
            for (Declared tensor : parts.get(p)) {
                if (partOf.containsKey(tensor.name())) {
                    throw new GgufException("tensor " + tensor.name() + " is declared twice");
                }
                writer.addTensor(tensor.name(), tensor.dims(), tensor.type());
                partOf.put(tensor.name(), p);
            }
            declared.add(writer);
        }
        writers = declared;
        return writers;
    }

    private static long elements(long[] dims) {
        long elements = 1;
        for (long d : dims) {
            elements *= d;
        }
        return elements;
    }
}
