package orchestrate.quant;

import orchestrate.gguf.GgmlType;

/**
 * Q8_0: blocks of 32 values as an F16 scale and 32 signed bytes ({@code quantize_row_q8_0_ref}):
 * d = amax / 127, q = roundf(x / d) computed as x times 1/d, halves rounded away from zero.
 */
final class Q8_0 implements BlockCodec {

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public void quantize(float[] x, int offset, int count, byte[] out, int outOffset) {
        for (int block = offset, o = outOffset; block < offset + count; block += 32, o += 34) {
            quantizeBlock(x, block, out, o);
        }
    }

    /** One block of 32 values from {@code x[block]} into the 34 bytes at {@code out[o]}. */
    static void quantizeBlock(float[] x, int block, byte[] out, int o) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[block + j]));
        }
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        LittleEndian.putHalf(out, o, d);
        for (int j = 0; j < 32; j++) {
            out[o + 2 + j] = (byte) Rounding.halfAwayFromZero(x[block + j] * id);
        }
    }

    @Override
    public void dequantize(byte[] in, int inOffset, int count, float[] out, int outOffset) {
        for (int i = 0, o = inOffset; i < count; i += 32, o += 34) {
            float d = LittleEndian.getHalf(in, o);
            for (int j = 0; j < 32; j++) {
                out[outOffset + i + j] = d * in[o + 2 + j];
            }
        }
    }
}
