package orchestrate.safetensors;

import java.util.Arrays;

/**
 * One tensor of a safetensors file.
 *
 * @param shape the shape as written (row-major, outermost first: HF Linear weights are [out, in])
 * @param begin offset of its first byte from the start of the data section
 */
public record TensorEntry(String name, DType dtype, long[] shape, long begin, long end) {

    public long elements() {
        long count = 1;
        for (long dimension : shape) {
            count = Math.multiplyExact(count, dimension);
        }
        return count;
    }

    public long bytes() {
        return end - begin;
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}; negative indexes count from the end. */
    public long dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorEntry t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
