package orchestrate.gguf;

import java.util.Optional;

/** ggml tensor types: id, elements per block and bytes per block (ggml-common.h). */
public enum GgmlType {
    F32(0, 1, 4), F16(1, 1, 2), Q4_0(2, 32, 18), Q4_1(3, 32, 20), Q5_0(6, 32, 22), Q5_1(7, 32, 24),
    Q8_0(8, 32, 34), Q8_1(9, 32, 36), Q2_K(10, 256, 84), Q3_K(11, 256, 110), Q4_K(12, 256, 144),
    Q5_K(13, 256, 176), Q6_K(14, 256, 210), Q8_K(15, 256, 292),
    I8(24, 1, 1), I16(25, 1, 2), I32(26, 1, 4), I64(27, 1, 8), F64(28, 1, 8), BF16(30, 1, 2), MXFP4(39, 32, 17);

    private final int id;
    private final int blockSize;
    private final int typeSize;

    GgmlType(int id, int blockSize, int typeSize) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
    }

    public int id() {
        return id;
    }

    public int blockSize() {
        return blockSize;
    }

    public int typeSize() {
        return typeSize;
    }

    /** Bytes of {@code elements} values; a count that is not whole blocks is an error, never rounded. */
    public long bytesFor(long elements) {
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(name() + " stores blocks of " + blockSize + " values; " + elements + " is not a multiple");
        }
        return elements / blockSize * typeSize;
    }

    public static Optional<GgmlType> fromId(int id) {
        for (GgmlType type : values()) {
            if (type.id == id) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
