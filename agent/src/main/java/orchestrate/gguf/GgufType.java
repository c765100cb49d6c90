package orchestrate.gguf;

import java.util.Optional;

/** The value types of GGUF metadata. */
public enum GgufType {
    UINT8(0), INT8(1), UINT16(2), INT16(3), UINT32(4), INT32(5), FLOAT32(6), BOOL(7), STRING(8), ARRAY(9),
    UINT64(10), INT64(11), FLOAT64(12);

    private final int id;

    GgufType(int id) {
        this.id = id;
    }

    public int id() {
        return id;
    }

    /** Bytes of one value of a fixed-size type; 0 for strings and arrays. */
    int size() {
        return switch (this) {
            case UINT8, INT8, BOOL -> 1;
            case UINT16, INT16 -> 2;
            case UINT32, INT32, FLOAT32 -> 4;
            case UINT64, INT64, FLOAT64 -> 8;
            case STRING, ARRAY -> 0;
        };
    }

    public static Optional<GgufType> fromId(int id) {
        for (GgufType type : values()) {
            if (type.id == id) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
