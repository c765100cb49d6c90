package orchestrate.quant;

import java.nio.ByteBuffer;

/**
 * Q8_0: blocks of 32 values as an F16 scale and 32 signed bytes, exactly as llama.cpp's reference
 * quantizer ({@code quantize_row_q8_0_ref}) writes them: d = amax / 127, q = roundf(x / d)
 * computed as x times 1/d, rounding half away from zero.
 */
public final class Q8_0 {

    public static final int BLOCK = 32;
    public static final int BLOCK_BYTES = 34;

    private Q8_0() {}

    /** Quantizes {@code count} values (a multiple of 32) from {@code x[offset]} into {@code out} (little-endian). */
    public static void quantize(float[] x, int offset, int count, ByteBuffer out) {
        for (int block = offset; block < offset + count; block += BLOCK) {
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) {
                amax = Math.max(amax, Math.abs(x[block + j]));
            }
            float d = amax / 127;
            float id = d != 0 ? 1.0f / d : 0.0f;
            out.putShort(Half.fromFloat(d));
            for (int j = 0; j < BLOCK; j++) {
                out.put((byte) roundHalfAwayFromZero(x[block + j] * id));
            }
        }
    }

    /** C's roundf: halves go away from zero (Java's Math.round sends -2.5 to -2). */
    static int roundHalfAwayFromZero(float value) {
        return (int) Math.copySign(Math.floor(Math.abs(value) + 0.5f), value);
    }

    /** The values a Q8_0 block stands for. */
    public static void dequantize(ByteBuffer block, float[] out, int offset) {
        float d = Half.toFloat(block.getShort());
        for (int j = 0; j < BLOCK; j++) {
            out[offset + j] = d * block.get();
        }
    }
}
