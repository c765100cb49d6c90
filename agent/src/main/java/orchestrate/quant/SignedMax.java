package orchestrate.quant;

/** The value of largest magnitude, with its sign; the first one wins a tie, as in ggml's loops. */
final class SignedMax {

    private SignedMax() {}

    static float of(float[] x, int offset, int count) {
        float amax = 0;
        float max = 0;
        for (int j = offset; j < offset + count; j++) {
            float a = Math.abs(x[j]);
            if (amax < a) {
                amax = a;
                max = x[j];
            }
        }
        return max;
    }
}
