package orchestrate.quant;

/** The two roundings ggml's quantizers use, which Java's Math.round matches neither of. */
final class Rounding {

    private Rounding() {}

    /** C's roundf: halves go away from zero (Math.round sends -2.5 to -2); the sum in double is exact. */
    static int halfAwayFromZero(float value) {
        return (int) Math.copySign(Math.floor(Math.abs((double) value) + 0.5), value);
    }

    /**
     * ggml's nearest_int: adding 1.5 * 2^23 rounds to an integer in float arithmetic, so halves go
     * to the even neighbour; that is exactly rint of the (exactly widened) float.
     */
    static int nearestInt(float value) {
        return (int) Math.rint(value);
    }
}
