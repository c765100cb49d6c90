package orchestrate.gguf;

import java.util.List;

/**
 * A metadata value with its exact GGUF type (a u32 and an i32 of the same number are different
 * values to llama.cpp). Numbers are held as Long or Double, booleans as Boolean, strings as
 * String, arrays as a List of such values of {@code elementType}.
 */
public record GgufValue(GgufType type, GgufType elementType, Object value) {

    public static GgufValue string(String value) {
        return new GgufValue(GgufType.STRING, null, value);
    }

    public static GgufValue uint16(int value) {
        return new GgufValue(GgufType.UINT16, null, (long) value);
    }

    public static GgufValue uint32(long value) {
        return new GgufValue(GgufType.UINT32, null, value);
    }

    public static GgufValue int32(long value) {
        return new GgufValue(GgufType.INT32, null, value);
    }

    public static GgufValue float32(double value) {
        return new GgufValue(GgufType.FLOAT32, null, (double) (float) value);
    }

    public static GgufValue bool(boolean value) {
        return new GgufValue(GgufType.BOOL, null, value);
    }

    public static GgufValue array(GgufType elementType, List<?> values) {
        return new GgufValue(GgufType.ARRAY, elementType, List.copyOf(values));
    }

    public String asString() {
        return (String) value;
    }

    public long asLong() {
        return ((Number) value).longValue();
    }

    public double asDouble() {
        return ((Number) value).doubleValue();
    }

    public boolean asBool() {
        return (Boolean) value;
    }

    public List<?> asList() {
        return (List<?>) value;
    }

    @Override
    public String toString() {
        if (type == GgufType.ARRAY) {
            List<?> list = asList();
            return elementType + "[" + list.size() + "]" + (list.isEmpty() ? "" : " " + list.subList(0, Math.min(3, list.size())) + (list.size() > 3 ? "..." : ""));
        }
        return type + " " + value;
    }
}
