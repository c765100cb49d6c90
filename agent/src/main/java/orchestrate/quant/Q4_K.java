package orchestrate.quant;

import orchestrate.gguf.GgmlType;

/** Q4_K: 4-bit levels, 8 groups of 32 with 6-bit scales and minimums. Layout: d, dmin, scales[12], qs[128]. */
final class Q4_K implements BlockCodec {

    private final ScaleMinBlocks fit = new ScaleMinBlocks(15, -1f, 20);

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    @Override
    public void quantize(float[] x, int offset, int count, byte[] out, int outOffset) {
        int end = offset + count;
        for (int first = offset, o = outOffset; first < end; ) {
            int blocks = Math.min(fit.batch(), (end - first) / 256);
            fit.search(x, first, blocks);
            for (int b = 0, block = first; b < blocks; b++, block += 256, o += 144) {
                // The packed scales are OR-ed into, so they start from zero.
                java.util.Arrays.fill(out, o + 4, o + 16, (byte) 0);
                fit.finish(b, x, block, out, o);
                byte[] levels = fit.levels();
                // Each 32 bytes hold 64 values: the first 32 in the low nibbles, the next 32 in the high ones.
                for (int j = 256 * b, q = o + 16; j < 256 * b + 256; j += 64, q += 32) {
                    for (int l = 0; l < 32; l++) {
                        out[q + l] = (byte) (levels[j + l] | levels[j + l + 32] << 4);
                    }
                }
            }
            first += 256 * blocks;
        }
    }

    @Override
    public void dequantize(byte[] in, int inOffset, int count, float[] out, int outOffset) {
        for (int i = 0, o = inOffset; i < count; i += 256, o += 144) {
            float d = LittleEndian.getHalf(in, o);
            float min = LittleEndian.getHalf(in, o + 2);
            for (int j = 0; j < 256; j += 64) {
                int group = j / 32;
                float d1 = d * SixBitScales.scale(in, o + 4, group);
                float m1 = min * SixBitScales.min(in, o + 4, group);
                float d2 = d * SixBitScales.scale(in, o + 4, group + 1);
                float m2 = min * SixBitScales.min(in, o + 4, group + 1);
                int q = o + 16 + j / 2;
                for (int l = 0; l < 32; l++) {
                    out[outOffset + i + j + l] = d1 * (in[q + l] & 0xF) - m1;
                    out[outOffset + i + j + 32 + l] = d2 * ((in[q + l] & 0xFF) >>> 4) - m2;
                }
            }
        }
    }
}
