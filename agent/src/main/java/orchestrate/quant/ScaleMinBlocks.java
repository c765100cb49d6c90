package orchestrate.quant;

import static orchestrate.quant.Rounding.nearestInt;

/**
 * What Q4_K and Q5_K share ({@code quantize_row_q4_K_ref}, {@code quantize_row_q5_K_ref}): 256
 * values in 8 groups of 32, each group fitted with levels 0..nmax, a scale and a minimum weighted
 * by (rms + |x|), then scales and minimums stored as 6-bit fractions of the block's F16 d and dmin,
 * and the levels recomputed against the stored (rounded) scales. The searches of a few blocks run
 * together ({@link #search}), then each block is finished on its own ({@link #finish}).
 */
final class ScaleMinBlocks {

    private final int nmax;
    private final float rmin;
    private final int nstep;
    private final GroupFits fits = GroupFits.create();
    /** Blocks searched together: enough groups of 8 to fill the SIMD lanes (two blocks in sixteen lanes). */
    private final int batch = Math.max(1, fits.groupsAtOnce() / 8);
    private final float[] weights = new float[256 * batch];
    private final byte[] levels = new byte[256 * batch];
    private final float[] scales = new float[8 * batch];
    private final float[] mins = new float[8 * batch];
    private final float[] groupScales = new float[8];
    private final float[] groupMins = new float[8];

    ScaleMinBlocks(int nmax, float rmin, int nstep) {
        this.nmax = nmax;
        this.rmin = rmin;
        this.nstep = nstep;
    }

    /** How many blocks {@link #search} takes at most. */
    int batch() {
        return batch;
    }

    /** Fits the groups of {@code blocks} (at most {@link #batch}) consecutive blocks from {@code x[first]}. */
    void search(float[] x, int first, int blocks) {
        for (int j = 0; j < 8 * blocks; j++) {
            int g = first + 32 * j;
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) {
                sumX2 += x[g + l] * x[g + l];
            }
            float rms = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) {
                weights[32 * j + l] = rms + Math.abs(x[g + l]);
            }
        }
        fits.fit(8 * blocks, 32, nmax, x, first, weights, levels, 0, scales, mins, rmin, 0.1f, nstep, false);
    }

    /**
     * Finishes block {@code b} of the last search, whose values are at {@code x[block]}: writes d at
     * {@code out[dAt]}, dmin after it, the 12 scale bytes after that, and leaves the block's 256
     * final levels in {@link #levels} from {@code 256 * b}.
     */
    void finish(int b, float[] x, int block, byte[] out, int dAt) {
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 8 * b; j < 8 * b + 8; j++) {
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
            int ls = Math.min(63, nearestInt(inverseScale * scales[8 * b + j]) & 0xFF);
            int lm = Math.min(63, nearestInt(inverseMin * mins[8 * b + j]) & 0xFF);
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
        fits.requantize(8, 32, x, block, groupScales, groupMins, 0, nmax, 0, levels, 256 * b);
    }

    /** The levels of the blocks last finished, 256 a block. */
    byte[] levels() {
        return levels;
    }
}
