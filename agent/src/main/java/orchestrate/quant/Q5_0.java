package orchestrate.quant;

import orchestrate.gguf.GgmlType;

/**
 * Q5_0: 32 values as an F16 scale, 32 fifth bits and 32 nibbles ({@code quantize_row_q5_0_ref}):
 * d = (value of largest magnitude) / -16, levels 0..31 around 16.
 */
final class Q5_0 implements BlockCodec {

    @Override
    public GgmlType type() {
        return GgmlType.Q5_0;
    }

    @Override
    public void quantize(float[] x, int offset, int count, byte[] out, int outOffset) {
        for (int block = offset, o = outOffset; block < offset + count; block += 32, o += 22) {
            float d = SignedMax.of(x, block, 32) / -16;
            float id = d != 0 ? 1.0f / d : 0.0f;
            LittleEndian.putHalf(out, o, d);
            int qh = 0;
            for (int j = 0; j < 16; j++) {
                int low = Math.min(31, (int) (x[block + j] * id + 16.5f));
                int high = Math.min(31, (int) (x[block + 16 + j] * id + 16.5f));
                out[o + 6 + j] = (byte) ((low & 0xF) | (high & 0xF) << 4);
                qh |= (low >>> 4 & 1) << j | (high >>> 4 & 1) << (j + 16);
            }
            LittleEndian.putInt(out, o + 2, qh);
        }
    }

    @Override
    public void dequantize(byte[] in, int inOffset, int count, float[] out, int outOffset) {
        for (int i = 0, o = inOffset; i < count; i += 32, o += 22) {
            float d = LittleEndian.getHalf(in, o);
            int qh = LittleEndian.getInt(in, o + 2);
            for (int j = 0; j < 16; j++) {
                int q = in[o + 6 + j] & 0xFF;
                out[outOffset + i + j] = (((q & 0xF) | (qh >>> j & 1) << 4) - 16) * d;
                out[outOffset + i + j + 16] = (((q >>> 4) | (qh >>> (j + 16) & 1) << 4) - 16) * d;
            }
        }
    }
}
