package orchestrate.quant;

import static orchestrate.quant.Rounding.nearestInt;

/**
 * What Q4_K and Q5_K share ({@code quantize_row_q4_K_ref}, {@code quantize_row_q5_K_ref}): 256
 * values in 8 groups of 32, each group fitted with levels 0..nmax, a scale and a minimum weighted
 * by (rms + |x|), then scales and minimums stored as 6-bit fractions of the block's F16 d and dmin,
 * and the levels recomputed against the stored (rounded) scales.
 */
final class ScaleMinBlocks {

    private final int nmax;
    private final float rmin;
    private final int nstep;
    private final GroupFits fits = GroupFits.create();
    private final float[] weights = new float[256];
    private final float[] scales = new float[8];
    private final float[] mins = new float[8];
    private final float[] groupScales = new float[8];
    private final float[] groupMins = new float[8];

    ScaleMinBlocks(int nmax, float rmin, int nstep) {
        this.nmax = nmax;
        this.rmin = rmin;
        this.nstep = nstep;
    }

    /**
     * Writes d at {@code out[dAt]}, dmin after it, the 12 scale bytes after that, and leaves the
     * 256 final levels in {@code levels}.
     */
    void quantize(float[] x, int block, byte[] levels, byte[] out, int dAt) {
        for (int j = 0; j < 8; j++) {
            int g = block + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[g + l] * x[g + l];
            }
            float rms = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                weights[32 * j + l] = rms + Math.abs(x[g + l]);
            }
        }
        fits.fit(8, 32, nmax, x, block, weights, levels, 0, scales, mins, rmin, 0.1f, nstep, false);
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            if (scales[j] > maxScale) {
                maxScale = scales[j];
            }
            if (mins[j] > maxMin) {
                maxMin = mins[j];
            }
        }
        float inverseScale = maxScale > 0 ? 63f / maxScale : 0f;
        float inverseMin = maxMin > 0 ? 63f / maxMin : 0f;
        int packed = dAt + 4;
        for (int j = 0; j < 8; j++) {
            // C stores nearest_int into a uint8_t before capping at 63.
            int ls = Math.min(63, nearestInt(inverseScale * scales[j]) & 0xFF);
            int lm = Math.min(63, nearestInt(inverseMin * mins[j]) & 0xFF);
            SixBitScales.put(out, packed, j, ls, lm);
        }
        LittleEndian.putHalf(out, dAt, maxScale / 63f);
        LittleEndian.putHalf(out, dAt + 2, maxMin / 63f);
        float d = LittleEndian.getHalf(out, dAt);
        float dmin = LittleEndian.getHalf(out, dAt + 2);
        for (int j = 0; j < 8; j++) {
            groupScales[j] = d * SixBitScales.scale(out, packed, j);
            groupMins[j] = dmin * SixBitScales.min(out, packed, j);
        }
        fits.requantize(8, 32, x, block, groupScales, groupMins, 0, nmax, 0, levels, 0);
    }
}
