package orchestrate.quant;

import orchestrate.gguf.GgmlType;

/**
 * Q4_0: 32 values as an F16 scale and 32 nibbles ({@code quantize_row_q4_0_ref}). The scale is the
 * value of largest magnitude over -8, so that value lands exactly on level 0; byte j holds value j
 * in its low nibble and value j + 16 in its high nibble.
 */
final class Q4_0 implements BlockCodec {

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    public void quantize(float[] x, int offset, int count, byte[] out, int outOffset) {
        for (int block = offset, o = outOffset; block < offset + count; block += 32, o += 18) {
            float d = SignedMax.of(x, block, 32) / -8;
            float id = d != 0 ? 1.0f / d : 0.0f;
            LittleEndian.putHalf(out, o, d);
            for (int j = 0; j < 16; j++) {
                // C truncates (int8_t)(v + 8.5f) toward zero, then caps at 15.
                int low = Math.min(15, (int) (x[block + j] * id + 8.5f));
                int high = Math.min(15, (int) (x[block + 16 + j] * id + 8.5f));
                out[o + 2 + j] = (byte) (low | high << 4);
            }
        }
    }

    @Override
    public void dequantize(byte[] in, int inOffset, int count, float[] out, int outOffset) {
        for (int i = 0, o = inOffset; i < count; i += 32, o += 18) {
            float d = LittleEndian.getHalf(in, o);
            for (int j = 0; j < 16; j++) {
                int q = in[o + 2 + j] & 0xFF;
                out[outOffset + i + j] = ((q & 0xF) - 8) * d;
                out[outOffset + i + j + 16] = ((q >>> 4) - 8) * d;
            }
        }
    }
}
