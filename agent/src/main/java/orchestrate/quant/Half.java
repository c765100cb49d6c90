package orchestrate.quant;

/**
 * IEEE 754 half precision (binary16) and bfloat16, as ggml stores them. Java 17 has no
 * {@code Float.floatToFloat16}; this rounds to nearest, ties to even, as numpy and ggml do.
 */
public final class Half {

    private Half() {}

    /** The binary16 bits nearest to {@code value}; overflow gives infinity, NaN stays NaN. */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xFF;
        int mantissa = bits & 0x7FFFFF;
        if (exponent == 0xFF) {
            return (short) (sign | 0x7C00 | (mantissa != 0 ? 0x200 | (mantissa >>> 13) : 0));
        }
        int halfExponent = exponent - 127 + 15;
        if (halfExponent >= 31) {
            return (short) (sign | 0x7C00);
        }
        if (halfExponent <= 0) {
            // Subnormal in half precision: the value in units of 2^-24, rounded.
            int shift = 14 - halfExponent;
            if (shift > 24) {
                return (short) sign;
            }
            int full = mantissa | (exponent == 0 ? 0 : 0x800000);
            int halfMantissa = full >>> shift;
            int rest = full & ((1 << shift) - 1);
            int middle = 1 << (shift - 1);
            if (rest > middle || (rest == middle && (halfMantissa & 1) == 1)) {
                halfMantissa++;
            }
            return (short) (sign | halfMantissa);
        }
        int half = (halfExponent << 10) | (mantissa >>> 13);
        int rest = mantissa & 0x1FFF;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
            half++; // a carry into the exponent is correct, up to infinity
        }
        return (short) (sign | half);
    }

    /** The exact float value of binary16 bits. */
    public static float toFloat(short half) {
        int bits = half & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f;
            return sign != 0 ? -magnitude : magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** The bfloat16 bits nearest to {@code value}, ties to even; NaN stays NaN. */
    public static short toBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The exact float value of bfloat16 bits (the upper half of a float). */
    public static float fromBf16(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xFFFF) << 16);
    }
}
