package orchestrate.quant;

/** The two roundings ggml's quantizers use, which Java's Math.round matches neither of. */
final class Rounding {

    private Rounding() {}

    /** C's roundf: halves go away from zero (Math.round sends -2.5 to -2); the sum in double is exact. */
    static int halfAwayFromZero(float value) {
        return (int) Math.copySign(Math.floor(Math.abs((double) value) + 0.5), value);
    }

    /**
     * ggml's nearest_int, the same way: adding 1.5 * 2^23 leaves the integer nearest to the value
     * (halves to even) in the low mantissa bits. Like C, it is meant for |value| < 2^22.
     */
    static int nearestInt(float value) {
        return (Float.floatToRawIntBits(value + 12582912f) & 0x007fffff) - 0x00400000;
    }
}
