package orchestrate.quant;

import orchestrate.gguf.GgmlType;

/**
 * MXFP4 (OCP microscaling FP4, as gpt-oss ships its experts): 32 values as one E8M0 shared exponent
 * and 32 E2M1 codes ({@code quantize_row_mxfp4_ref}). The exponent is floor(log2 of the largest
 * magnitude) - 2, so that value lands near the top code (6, ggml stores the codes doubled and the
 * scale halved); each value takes the nearest code, the first on a tie; byte j holds value j in its
 * low nibble and value j + 16 in its high nibble.
 */
final class MXFP4 implements BlockCodec {

    /** The E2M1 values doubled, by code: ggml's kvalues_mxfp4. */
    private static final int[] LEVELS = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
    private static final int BYTES = 17;

    @Override
    public GgmlType type() {
        return GgmlType.MXFP4;
    }

    @Override
    public void quantize(float[] x, int offset, int count, byte[] out, int outOffset) {
        for (int block = offset, o = outOffset; block < offset + count; block += 32, o += BYTES) {
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(x[block + j]));
            }
            int e = amax > 0 ? (int) (float) (Math.floor(log2f(amax)) - 2 + 127) & 0xFF : 0;
            float d = halfScale(e);
            out[o] = (byte) e;
            for (int j = 0; j < 16; j++) {
                out[o + 1 + j] = (byte) (nearest(x[block + j], d) | nearest(x[block + 16 + j], d) << 4);
            }
        }
    }

    @Override
    public void dequantize(byte[] in, int inOffset, int count, float[] out, int outOffset) {
        for (int i = 0, o = inOffset; i < count; i += 32, o += BYTES) {
            float d = halfScale(in[o] & 0xFF);
            for (int j = 0; j < 16; j++) {
                int q = in[o + 1 + j] & 0xFF;
                out[outOffset + i + j] = LEVELS[q & 0xF] * d;
                out[outOffset + i + j + 16] = LEVELS[q >>> 4] * d;
            }
        }
    }

    /** C's log2f: the logarithm rounded to float (computed in double, which holds it to well within a float's rounding). */
    private static float log2f(float x) {
        return (float) (Math.log(x) / Math.log(2));
    }

    /** ggml_e8m0_to_fp32_half: 2^(e - 128), by its bits (denormal for e below 2). */
    private static float halfScale(int e) {
        return Float.intBitsToFloat(e < 2 ? 0x00200000 << e : (e - 1) << 23);
    }

    /** best_index_mxfp4: the code whose level times d is nearest x, in float, the first on a tie. */
    private static int nearest(float x, float d) {
        int best = 0;
        float bestError = Math.abs(LEVELS[0] * d - x);
        for (int i = 1; i < 16; i++) {
            float error = Math.abs(LEVELS[i] * d - x);
            if (error < bestError) {
                best = i;
                bestError = error;
            }
        }
        return best;
    }
}
