package orchestrate.quant;

import static orchestrate.quant.Rounding.nearestInt;

import orchestrate.gguf.GgmlType;

/**
 * Q2_K ({@code quantize_row_q2_K_ref}): 256 values in 16 groups of 16, each with a 4-bit scale and
 * a 4-bit minimum relative to the block's F16 d and dmin, and 2-bit levels. Layout: scales[16]
 * (scale low nibble, minimum high nibble), qs[64], d, dmin.
 */
final class Q2_K implements BlockCodec {

    private final byte[] levels = new byte[256];
    private final GroupFits fits = GroupFits.create();
    private final float[] weights = new float[256];
    private final float[] groupScales = new float[16];
    private final float[] groupMins = new float[16];
    private final float[] scales = new float[16];
    private final float[] mins = new float[16];

    @Override
    public GgmlType type() {
        return GgmlType.Q2_K;
    }

    @Override
    public void quantize(float[] x, int offset, int count, byte[] out, int outOffset) {
        for (int block = offset, o = outOffset; block < offset + count; block += 256, o += 84) {
            for (int l = 0; l < 256; l++) {
                weights[l] = Math.abs(x[block + l]);
            }
            fits.fit(16, 16, 3, x, block, weights, levels, 0, scales, mins, -0.5f, 0.1f, 15, true);
            float maxScale = 0;
            float maxMin = 0;
            for (int j = 0; j < 16; j++) {
                if (scales[j] > maxScale) {
                    maxScale = scales[j];
                }
                if (mins[j] > maxMin) {
                    maxMin = mins[j];
                }
            }
            if (maxScale > 0) {
                float iscale = 15f / maxScale;
                for (int j = 0; j < 16; j++) {
                    out[o + j] = (byte) nearestInt(iscale * scales[j]);
                }
                LittleEndian.putHalf(out, o + 80, maxScale / 15f);
            } else {
                for (int j = 0; j < 16; j++) {
                    out[o + j] = 0;
                }
                LittleEndian.putHalf(out, o + 80, 0f);
            }
            if (maxMin > 0) {
                float iscale = 15f / maxMin;
                for (int j = 0; j < 16; j++) {
                    out[o + j] |= (byte) (nearestInt(iscale * mins[j]) << 4);
                }
                LittleEndian.putHalf(out, o + 82, maxMin / 15f);
            } else {
                LittleEndian.putHalf(out, o + 82, 0f);
            }
            float d = LittleEndian.getHalf(out, o + 80);
            float dmin = LittleEndian.getHalf(out, o + 82);
            for (int j = 0; j < 16; j++) {
                int packed = out[o + j] & 0xFF;
                groupScales[j] = d * (packed & 0xF);
                groupMins[j] = dmin * (packed >>> 4);
            }
            fits.requantize(16, 16, x, block, groupScales, groupMins, 0, 3, 0, levels, 0);
            for (int j = 0; j < 256; j += 128) {
                for (int l = 0; l < 32; l++) {
                    out[o + 16 + j / 4 + l] = (byte) (levels[j + l] | levels[j + l + 32] << 2 | levels[j + l + 64] << 4 | levels[j + l + 96] << 6);
                }
            }
        }
    }

    @Override
    public void dequantize(byte[] in, int inOffset, int count, float[] out, int outOffset) {
        for (int i = 0, o = inOffset; i < count; i += 256, o += 84) {
            float d = LittleEndian.getHalf(in, o + 80);
            float min = LittleEndian.getHalf(in, o + 82);
            int y = outOffset + i;
            int group = 0;
            for (int half = 0; half < 2; half++) {
                int q = o + 16 + 32 * half;
                for (int shift = 0; shift < 8; shift += 2) {
                    for (int part = 0; part < 2; part++) {
                        int sc = in[o + group++] & 0xFF;
                        float dl = d * (sc & 0xF);
                        float ml = min * (sc >>> 4);
                        for (int l = 0; l < 16; l++) {
                            out[y++] = dl * ((in[q + 16 * part + l] >>> shift) & 3) - ml;
                        }
                    }
                }
            }
        }
    }
}
