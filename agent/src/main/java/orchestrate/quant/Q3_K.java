package orchestrate.quant;

import static orchestrate.quant.Rounding.nearestInt;

import orchestrate.gguf.GgmlType;

/**
 * Q3_K ({@code quantize_row_q3_K_ref}): 256 values in 16 groups of 16 with signed 6-bit scales
 * relative to one F16 d, and 3-bit levels stored as 2 low bits plus a high-bit mask. Layout:
 * hmask[32], qs[64], scales[12], d.
 */
final class Q3_K implements BlockCodec {

    private final GroupFits fits = GroupFits.create();
    private final byte[] levels = new byte[256];
    private final float[] scales = new float[16];
    private final float[] groupScales = new float[16];

    @Override
    public GgmlType type() {
        return GgmlType.Q3_K;
    }

    @Override
    public void quantize(float[] x, int offset, int count, byte[] out, int outOffset) {
        for (int block = offset, o = outOffset; block < offset + count; block += 256, o += 110) {
            int packed = o + 96;
            float maxScale = 0;
            float amax = 0;
            fits.q3(16, 16, 4, x, block, levels, 0, scales);
            for (int j = 0; j < 16; j++) {
                float scale = Math.abs(scales[j]);
                if (scale > amax) {
                    amax = scale;
                    maxScale = scales[j];
                }
            }
            for (int j = 0; j < 12; j++) {
                out[packed + j] = 0;
            }
            if (maxScale != 0) {
                float iscale = -32f / maxScale;
                for (int j = 0; j < 16; j++) {
                    int l = Math.max(-32, Math.min(31, (byte) nearestInt(iscale * scales[j]))) + 32;
                    if (j < 8) {
                        out[packed + j] = (byte) (l & 0xF);
                    } else {
                        out[packed + j - 8] |= (byte) ((l & 0xF) << 4);
                    }
                    out[packed + 8 + j % 4] |= (byte) ((l >>> 4) << (2 * (j / 4)));
                }
                LittleEndian.putHalf(out, o + 108, 1 / iscale);
            } else {
                LittleEndian.putHalf(out, o + 108, 0f);
            }
            float d = LittleEndian.getHalf(out, o + 108);
            for (int j = 0; j < 16; j++) {
                groupScales[j] = d * scale(out, packed, j);
            }
            fits.requantize(16, 16, x, block, groupScales, null, -4, 3, 4, levels, 0);
            // Levels are 0..7. The high bit of the first 32 goes to bit 0 of hmask[0..31], of the next 32 to bit 1, and so on.
            for (int l = 0; l < 32; l++) {
                int mask = 0;
                for (int k = 0; k < 8; k++) {
                    mask |= (levels[32 * k + l] >> 2) << k;
                }
                out[o + l] = (byte) mask;
            }
            // The low two bits: four levels a byte, 32 apart.
            for (int j = 0; j < 256; j += 128) {
                for (int l = 0; l < 32; l++) {
                    out[o + 32 + j / 4 + l] = (byte) ((levels[j + l] & 3) | (levels[j + l + 32] & 3) << 2 | (levels[j + l + 64] & 3) << 4
                            | (levels[j + l + 96] & 3) << 6);
                }
            }
        }
    }

    /** Group j's signed scale from the 12 packed bytes: 4 low bits, 2 high bits, minus 32. */
    private static int scale(byte[] block, int packed, int j) {
        int low = j < 8 ? block[packed + j] & 0xF : (block[packed + j - 8] & 0xFF) >>> 4;
        int high = ((block[packed + 8 + j % 4] & 0xFF) >>> (2 * (j / 4))) & 3;
        return (low | high << 4) - 32;
    }

    @Override
    public void dequantize(byte[] in, int inOffset, int count, float[] out, int outOffset) {
        for (int i = 0, o = inOffset; i < count; i += 256, o += 110) {
            float d = LittleEndian.getHalf(in, o + 108);
            for (int j = 0; j < 256; j++) {
                int group = j / 16;
                int low = (in[o + 32 + (j / 128) * 32 + j % 32] >>> (2 * ((j % 128) / 32))) & 3;
                int high = (in[o + j % 32] >>> (j / 32)) & 1;
                out[outOffset + i + j] = d * scale(in, o + 96, group) * (low - (high != 0 ? 0 : 4));
            }
        }
    }
}
