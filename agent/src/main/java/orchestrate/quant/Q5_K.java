package orchestrate.quant;

import orchestrate.gguf.GgmlType;

/**
 * Q5_K: 5-bit levels, 8 groups of 32 with 6-bit scales and minimums. Layout: d, dmin, scales[12],
 * qh[32] (the fifth bits: values j and j + 32 of each 64 in bits 2k and 2k + 1), qs[128].
 */
final class Q5_K implements BlockCodec {

    private final ScaleMinBlocks fit = new ScaleMinBlocks(31, -0.5f, 15);

    @Override
    public GgmlType type() {
        return GgmlType.Q5_K;
    }

    @Override
    public void quantize(float[] x, int offset, int count, byte[] out, int outOffset) {
        int end = offset + count;
        for (int first = offset, o = outOffset; first < end; ) {
            int blocks = Math.min(fit.batch(), (end - first) / 256);
            fit.search(x, first, blocks);
            for (int b = 0, block = first; b < blocks; b++, block += 256, o += 176) {
                java.util.Arrays.fill(out, o + 4, o + 48, (byte) 0); // scales and high bits are OR-ed into
                fit.finish(b, x, block, out, o);
                byte[] levels = fit.levels();
                int at = 256 * b;
                int qh = o + 16;
                for (int n = 0, k = 0; n < 256; n += 64, k += 2) {
                    int ql = o + 48 + n / 2;
                    for (int j = 0; j < 32; j++) {
                        int l1 = levels[at + n + j];
                        if (l1 > 15) {
                            l1 -= 16;
                            out[qh + j] |= (byte) (1 << k);
                        }
                        int l2 = levels[at + n + j + 32];
                        if (l2 > 15) {
                            l2 -= 16;
                            out[qh + j] |= (byte) (2 << k);
                        }
                        out[ql + j] = (byte) (l1 | l2 << 4);
                    }
                }
            }
            first += 256 * blocks;
        }
    }

    @Override
    public void dequantize(byte[] in, int inOffset, int count, float[] out, int outOffset) {
        for (int i = 0, o = inOffset; i < count; i += 256, o += 176) {
            float d = LittleEndian.getHalf(in, o);
            float min = LittleEndian.getHalf(in, o + 2);
            for (int n = 0, k = 0; n < 256; n += 64, k += 2) {
                int group = n / 32;
                float d1 = d * SixBitScales.scale(in, o + 4, group);
                float m1 = min * SixBitScales.min(in, o + 4, group);
                float d2 = d * SixBitScales.scale(in, o + 4, group + 1);
                float m2 = min * SixBitScales.min(in, o + 4, group + 1);
                int ql = o + 48 + n / 2;
                for (int j = 0; j < 32; j++) {
                    int high = in[o + 16 + j];
                    out[outOffset + i + n + j] = d1 * ((in[ql + j] & 0xF) + ((high >>> k & 1) != 0 ? 16 : 0)) - m1;
                    out[outOffset + i + n + 32 + j] = d2 * (((in[ql + j] & 0xFF) >>> 4) + ((high >>> (k + 1) & 1) != 0 ? 16 : 0)) - m2;
                }
            }
        }
    }
}
