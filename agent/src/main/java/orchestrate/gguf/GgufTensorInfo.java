package orchestrate.gguf;

import java.util.Arrays;

/**
 * A tensor of a GGUF file.
 *
 * @param dims   ggml order: dims[0] is the contiguous row length (the reverse of safetensors' shape)
 * @param offset from the start of the data section
 */
public record GgufTensorInfo(String name, long[] dims, GgmlType type, long offset) {

    public long elements() {
        long count = 1;
        for (long d : dims) {
            count = Math.multiplyExact(count, d);
        }
        return count;
    }

    public long bytes() {
        return type.bytesFor(elements());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && Arrays.equals(dims, t.dims) && type == t.type && offset == t.offset;
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return name + " " + type + Arrays.toString(dims) + " @" + offset;
    }
}
