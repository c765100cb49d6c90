package orchestrate.safetensors;

import java.util.Optional;

/** The element types safetensors names, with their sizes in bytes. */
public enum DType {
    BOOL(1), U8(1), I8(1), F8_E4M3(1), F8_E5M2(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    public static Optional<DType> named(String name) {
        for (DType type : values()) {
            if (type.name().equals(name)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
