package orchestrate.quant;

import orchestrate.gguf.GgmlType;

/**
 * Q5_1: 32 values as an F16 scale, an F16 minimum, 32 fifth bits and 32 nibbles
 * ({@code quantize_row_q5_1_ref}): d = (max - min) / 31, q = (x - min) / d rounded half up.
 */
final class Q5_1 implements BlockCodec {

    @Override
    public GgmlType type() {
        return GgmlType.Q5_1;
    }

    @Override
    public void quantize(float[] x, int offset, int count, byte[] out, int outOffset) {
        for (int block = offset, o = outOffset; block < offset + count; block += 32, o += 24) {
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (int j = block; j < block + 32; j++) {
                // Comparisons, not Math.min/max: C keeps the first of 0.0 and -0.0, and the sign reaches the F16 minimum.
                if (x[j] < min) {
                    min = x[j];
                }
                if (x[j] > max) {
                    max = x[j];
                }
            }
            float d = (max - min) / 31;
            float id = d != 0 ? 1.0f / d : 0.0f;
            LittleEndian.putHalf(out, o, d);
            LittleEndian.putHalf(out, o + 2, min);
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                int low = (int) ((x[block + j] - min) * id + 0.5f) & 0xFF;
                int high = (int) ((x[block + 16 + j] - min) * id + 0.5f) & 0xFF;
                out[o + 8 + j] = (byte) ((low & 0xF) | (high & 0xF) << 4);
                qh |= (low >>> 4 & 1) << j | (high >>> 4 & 1) << (j + 16);
            }
            LittleEndian.putInt(out, o + 4, qh);
        }
    }

    @Override
    public void dequantize(byte[] in, int inOffset, int count, float[] out, int outOffset) {
        for (int i = 0, o = inOffset; i < count; i += 32, o += 24) {
            float d = LittleEndian.getHalf(in, o);
            float m = LittleEndian.getHalf(in, o + 2);
            int qh = LittleEndian.getInt(in, o + 4);
            for (int j = 0; j < 16; j++) {
                int q = in[o + 8 + j] & 0xFF;
                out[outOffset + i + j] = ((q & 0xF) | (qh >>> j & 1) << 4) * d + m;
                out[outOffset + i + j + 16] = ((q >>> 4) | (qh >>> (j + 16) & 1) << 4) * d + m;
            }
        }
    }
}
