package orchestrate.quant;

/** The two roundings ggml's quantizers use, which Java's Math.round matches neither of. */
final class Rounding {

    private Rounding() {}

    /**
     * C's roundf: halves go away from zero (Math.round sends -2.5 to -2). Below 2^22 in magnitude
     * (all Q8_0 meets) in floats: 1.5 * 2^23 rounds to the nearest integer with halves to even,
     * and an exact half left below is moved up; the rest in double, where the sum is exact.
     */
    static int halfAwayFromZero(float value) {
        float magnitude = Math.abs(value);
        if (magnitude < 4194304f) {
            float nearest = magnitude + 12582912f - 12582912f;
            if (magnitude - nearest == 0.5f) { // exact: the two are within a factor of two, or nearest is 0
                nearest += 1f;
            }
            return (int) Math.copySign(nearest, value);
        }
        return (int) Math.copySign(Math.floor(magnitude + 0.5), value);
    }

    /**
     * ggml's nearest_int, the same way: adding 1.5 * 2^23 leaves the integer nearest to the value
     * (halves to even) in the low mantissa bits. Like C, it is meant for |value| < 2^22.
     */
    static int nearestInt(float value) {
        return (Float.floatToRawIntBits(value + 12582912f) & 0x007fffff) - 0x00400000;
    }
}
