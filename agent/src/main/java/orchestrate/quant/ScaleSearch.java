package orchestrate.quant;

import static orchestrate.quant.Rounding.nearestInt;

/**
 * The scale searches behind the K-quants, as ggml-quants.c's reference path runs them
 * ({@code make_qx_quants} with x^2 weights, {@code make_q3_quants}, {@code make_qkx2_quants}).
 * The float operations keep C's order exactly: a reordered sum picks a different scale now and
 * then, and the blocks stop being llama.cpp's. An instance holds scratch space for one thread.
 */
final class ScaleSearch {

    /** Below this largest magnitude a group is all zeros (GROUP_MAX_EPS). */
    static final float GROUP_MAX_EPS = 1e-15f;

    /** A symmetric level: nearest_int of {@code scaled}, kept within -nmax..nmax-1. */
    private static int level(float scaled, int nmax) {
        return Math.max(-nmax, Math.min(nmax - 1, nearestInt(scaled)));
    }

    /** Each group's values minus its minimum: computed once, not once per candidate scale. */
    private final float[] shifted = new float[32];

    /**
     * Symmetric levels -nmax..nmax-1 weighted by x^2 ({@code make_qx_quants}, rmse_type 1): tries
     * 19 scales around -nmax/max and keeps the least-squares best. Writes levels + nmax to
     * {@code levels}; returns the scale.
     */
    static float symmetric(int n, int nmax, float[] x, int xo, byte[] levels, int lo) {
        float max = SignedMax.of(x, xo, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            java.util.Arrays.fill(levels, lo, lo + n, (byte) 0); // all zeros
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            int l = level(iscale * v, nmax);
            levels[lo + i] = (byte) (l + nmax);
            float w = v * v;
            sumlx += w * v * l;
            suml2 += w * l * l;
        }
        float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
        float best = scale * sumlx;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = -(nmax + 0.1f * is) / max;
            sumlx = 0;
            suml2 = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xo + i];
                int l = level(iscale * v, nmax);
                float w = v * v;
                sumlx += w * v * l;
                suml2 += w * l * l;
            }
            if (suml2 > 0 && sumlx * sumlx > best * suml2) {
                for (int i = 0; i < n; i++) {
                    levels[lo + i] = (byte) (nmax + level(iscale * x[xo + i], nmax));
                }
                scale = sumlx / suml2;
                best = scale * sumlx;
            }
        }
        return scale;
    }

    /**
     * Q3_K's search ({@code make_q3_quants} with do_rmse): levels -nmax..nmax-1 from -nmax/max,
     * then up to five sweeps moving single levels while the weighted fit improves. Writes levels +
     * nmax (or all zeros for a zero group); returns the scale.
     */
    static float q3(int n, int nmax, float[] x, int xo, byte[] levels, int lo) {
        float max = SignedMax.of(x, xo, n);
        if (Math.abs(max) < GROUP_MAX_EPS) {
            java.util.Arrays.fill(levels, lo, lo + n, (byte) 0); // all zeros
            return 0f;
        }
        float iscale = -nmax / max;
        float sumlx = 0;
        float suml2 = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xo + i];
            int l = level(iscale * v, nmax);
            levels[lo + i] = (byte) l;
            float w = v * v;
            sumlx += w * v * l;
            suml2 += w * l * l;
        }
        for (int attempt = 0; attempt < 5; attempt++) {
            int changed = 0;
            for (int i = 0; i < n; i++) {
                float v = x[xo + i];
                float w = v * v;
                int current = levels[lo + i];
                float slx = sumlx - w * v * current;
                if (slx > 0) {
                    float sl2 = suml2 - w * current * current;
                    int l = level(v * sl2 / slx, nmax);
                    if (l != current) {
                        slx += w * v * l;
                        sl2 += w * l * l;
                        if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
                            levels[lo + i] = (byte) l;
                            sumlx = slx;
                            suml2 = sl2;
                            changed++;
                        }
                    }
                }
            }
            if (changed == 0) {
                break;
            }
        }
        for (int i = 0; i < n; i++) {
            levels[lo + i] += (byte) nmax;
        }
        return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
    }

    /**
     * Asymmetric levels 0..nmax with a minimum ({@code make_qkx2_quants}): starts from the range,
     * then tries nstep+1 scales (rmin + rdelta * step + nmax) / range, refitting scale and minimum
     * by weighted least squares and keeping the lowest error (absolute or squared).
     *
     * @param weights the group's weights, from {@code wo}
     * @param minOut receives the minimum, negated (the value that is subtracted), at {@code minAt}
     * @param aux scratch of at least n levels
     * @return the scale
     */
    float asymmetric(int n, int nmax, float[] x, int xo, float[] weights, int wo, byte[] levels, int lo, float[] minOut, int minAt,
                      byte[] aux, float rmin, float rdelta, int nstep, boolean absoluteError) {
        float min = x[xo];
        float max = x[xo];
        float sumW = weights[wo];
        float sumX = sumW * x[xo];
        for (int i = 1; i < n; i++) {
            float v = x[xo + i];
            if (v < min) {
                min = v;
            }
            if (v > max) {
                max = v;
            }
            float w = weights[wo + i];
            sumW += w;
            sumX += w * v;
        }
        if (min > 0) {
            min = 0;
        }
        if (max == min) {
            for (int i = 0; i < n; i++) {
                levels[lo + i] = 0;
            }
            minOut[minAt] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++) {
            shifted[i] = x[xo + i] - min; // the same float C computes inside each loop below
            int l = Math.max(0, Math.min(nmax, nearestInt(iscale * shifted[i])));
            levels[lo + i] = (byte) l;
            float diff = scale * l + min - x[xo + i];
            diff = absoluteError ? Math.abs(diff) : diff * diff;
            bestError += weights[wo + i] * diff;
        }
        for (int step = 0; step <= nstep; step++) {
            // As in C, a better fit moves the minimum, and later candidates start from it.
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0;
            float sumL2 = 0;
            float sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.max(0, Math.min(nmax, nearestInt(iscale * shifted[i])));
                aux[i] = (byte) l;
                float w = weights[wo + i];
                sumL += w * l;
                sumL2 += w * l * l;
                sumXL += w * l * x[xo + i];
            }
            float determinant = sumW * sumL2 - sumL * sumL;
            if (determinant > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / determinant;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / determinant;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float error = 0;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[xo + i];
                    diff = absoluteError ? Math.abs(diff) : diff * diff;
                    error += weights[wo + i] * diff;
                }
                if (error < bestError) {
                    System.arraycopy(aux, 0, levels, lo, n);
                    bestError = error;
                    scale = thisScale;
                    if (thisMin != min) {
                        min = thisMin;
                        for (int i = 0; i < n; i++) {
                            shifted[i] = x[xo + i] - min;
                        }
                    }
                }
            }
        }
        minOut[minAt] = -min;
        return scale;
    }
}
