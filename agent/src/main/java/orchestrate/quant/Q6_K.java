package orchestrate.quant;

import static orchestrate.quant.Rounding.nearestInt;

import orchestrate.gguf.GgmlType;

/**
 * Q6_K ({@code quantize_row_q6_K_ref}): 256 values in 16 groups of 16 with signed 8-bit scales
 * relative to one F16 d, and 6-bit levels split into 4 low bits (ql) and 2 high bits (qh).
 * Layout: ql[128], qh[64], scales[16], d.
 */
final class Q6_K implements BlockCodec {

    private final GroupFits fits = GroupFits.create();
    private final byte[] levels = new byte[256];
    private final float[] scales = new float[16];
    private final float[] groupScales = new float[16];

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    @Override
    public void quantize(float[] x, int offset, int count, byte[] out, int outOffset) {
        for (int block = offset, o = outOffset; block < offset + count; block += 256, o += 210) {
            fits.symmetric(16, 16, 32, x, block, levels, 0, scales);
            float maxScale = 0;
            float maxAbsScale = 0;
            for (int g = 0; g < 16; g++) {
                float abs = Math.abs(scales[g]);
                if (abs > maxAbsScale) {
                    maxAbsScale = abs;
                    maxScale = scales[g];
                }
            }
            if (maxAbsScale < ScaleSearch.GROUP_MAX_EPS) {
                java.util.Arrays.fill(out, o, o + 210, (byte) 0);
                continue;
            }
            float iscale = -128f / maxScale;
            LittleEndian.putHalf(out, o + 208, 1 / iscale);
            for (int g = 0; g < 16; g++) {
                out[o + 192 + g] = (byte) Math.min(127, nearestInt(iscale * scales[g]));
            }
            float d = LittleEndian.getHalf(out, o + 208);
            for (int g = 0; g < 16; g++) {
                groupScales[g] = d * out[o + 192 + g];
            }
            fits.requantize(16, 16, x, block, groupScales, null, -32, 31, 32, levels, 0);
            for (int j = 0; j < 256; j += 128) {
                int ql = o + j / 2;
                int qh = o + 128 + j / 4;
                for (int l = 0; l < 32; l++) {
                    int q1 = levels[j + l];
                    int q2 = levels[j + l + 32];
                    int q3 = levels[j + l + 64];
                    int q4 = levels[j + l + 96];
                    out[ql + l] = (byte) ((q1 & 0xF) | (q3 & 0xF) << 4);
                    out[ql + l + 32] = (byte) ((q2 & 0xF) | (q4 & 0xF) << 4);
                    out[qh + l] = (byte) (q1 >>> 4 | (q2 >>> 4) << 2 | (q3 >>> 4) << 4 | (q4 >>> 4) << 6);
                }
            }
        }
    }

    @Override
    public void dequantize(byte[] in, int inOffset, int count, float[] out, int outOffset) {
        for (int i = 0, o = inOffset; i < count; i += 256, o += 210) {
            float d = LittleEndian.getHalf(in, o + 208);
            for (int n = 0; n < 256; n += 128) {
                int ql = o + n / 2;
                int qh = o + 128 + n / 4;
                int sc = o + 192 + n / 16;
                int y = outOffset + i + n;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int high = in[qh + l] & 0xFF;
                    int q1 = ((in[ql + l] & 0xF) | (high & 3) << 4) - 32;
                    int q2 = ((in[ql + l + 32] & 0xF) | (high >>> 2 & 3) << 4) - 32;
                    int q3 = (((in[ql + l] & 0xFF) >>> 4) | (high >>> 4 & 3) << 4) - 32;
                    int q4 = (((in[ql + l + 32] & 0xFF) >>> 4) | (high >>> 6 & 3) << 4) - 32;
                    out[y + l] = d * in[sc + is] * q1;
                    out[y + l + 32] = d * in[sc + is + 2] * q2;
                    out[y + l + 64] = d * in[sc + is + 4] * q3;
                    out[y + l + 96] = d * in[sc + is + 6] * q4;
                }
            }
        }
    }
}
