package orchestrate.quant;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Eight groups searched at once, one per lane of a 256-bit vector: the groups are laid out lane by
 * lane (value i of every group side by side), and each lane runs {@link ScaleSearch}'s operations
 * in the same order, with comparisons and blends where the scalar search branches. Levels are kept
 * as floats (whole numbers), which is what the scalar sums convert them to; JDK 17's int-to-float
 * lane conversion cost more than the whole search. No sum is reordered and nothing is fused (the
 * Vector API adds and multiplies lanewise, IEEE single), so every lane's floats, and the blocks,
 * are the scalar searches' bit for bit. The searches' common openings stay written out in each:
 * moved into helpers that return their vectors in an array, Q3_K ran at half the speed (the vectors
 * were boxed).
 */
final class VectorGroupFits implements GroupFits {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final int LANES = 8;

    /** Values, weights, values less the minimum, and levels: [value index][lane]. */
    private final float[] xs = new float[32 * LANES];
    private final float[] ws = new float[32 * LANES];
    private final float[] shifted = new float[32 * LANES];
    private final float[] best = new float[32 * LANES];
    private final float[] trial = new float[32 * LANES];
    private final float[] lanes = new float[LANES];

    private VectorGroupFits() {}

    static GroupFits create() {
        return new VectorGroupFits();
    }

    @Override
    public void fit(int groups, int n, int nmax, float[] x, int xo, float[] weights, byte[] levels, int lo, float[] scales, float[] mins, float rmin,
                    float rdelta, int nstep, boolean absoluteError) {
        if (groups % LANES != 0 || n > 32) {
            throw new IllegalArgumentException(groups + " groups of " + n);
        }
        for (int first = 0; first < groups; first += LANES) {
            fitEight(n, nmax, x, xo + first * n, weights, first * n, levels, lo + first * n, scales, mins, first, rmin, rdelta, nstep, absoluteError);
        }
    }

    /** {@link ScaleSearch#asymmetric} in each lane. */
    private void fitEight(int n, int nmax, float[] x, int xo, float[] weights, int wo, byte[] levels, int lo, float[] scales, float[] mins, int so,
                          float rmin, float rdelta, int nstep, boolean absoluteError) {
        for (int g = 0; g < LANES; g++) {
            for (int i = 0; i < n; i++) {
                xs[i * LANES + g] = x[xo + g * n + i];
                ws[i * LANES + g] = weights[wo + g * n + i];
            }
        }
        FloatVector zero = FloatVector.zero(F);
        FloatVector min = FloatVector.fromArray(F, xs, 0);
        FloatVector max = min;
        FloatVector sumW = FloatVector.fromArray(F, ws, 0);
        FloatVector sumX = sumW.mul(min);
        for (int i = 1; i < n; i++) {
            FloatVector v = FloatVector.fromArray(F, xs, i * LANES);
            FloatVector w = FloatVector.fromArray(F, ws, i * LANES);
            min = min.blend(v, v.lt(min));
            max = max.blend(v, v.compare(VectorOperators.GT, max));
            sumW = sumW.add(w);
            sumX = sumX.add(w.mul(v));
        }
        min = min.blend(zero, min.compare(VectorOperators.GT, 0f));
        VectorMask<Float> flat = max.eq(min);
        FloatVector flatMin = min;

        FloatVector iscale = FloatVector.broadcast(F, (float) nmax).div(max.sub(min));
        FloatVector scale = FloatVector.broadcast(F, 1f).div(iscale);
        FloatVector bestError = zero;
        for (int i = 0; i < n; i++) {
            FloatVector v = FloatVector.fromArray(F, xs, i * LANES);
            FloatVector s = v.sub(min);
            s.intoArray(shifted, i * LANES);
            FloatVector l = level(iscale.mul(s), nmax);
            l.intoArray(best, i * LANES);
            FloatVector diff = scale.mul(l).add(min).sub(v);
            diff = absoluteError ? diff.abs() : diff.mul(diff);
            bestError = bestError.add(FloatVector.fromArray(F, ws, i * LANES).mul(diff));
        }
        for (int step = 0; step <= nstep; step++) {
            iscale = FloatVector.broadcast(F, rmin + rdelta * step + nmax).div(max.sub(min));
            FloatVector sumL = zero;
            FloatVector sumL2 = zero;
            FloatVector sumXL = zero;
            for (int i = 0; i < n; i++) {
                FloatVector l = level(iscale.mul(FloatVector.fromArray(F, shifted, i * LANES)), nmax);
                l.intoArray(trial, i * LANES);
                FloatVector wl = FloatVector.fromArray(F, ws, i * LANES).mul(l);
                sumL = sumL.add(wl);
                sumL2 = sumL2.add(wl.mul(l));
                sumXL = sumXL.add(wl.mul(FloatVector.fromArray(F, xs, i * LANES)));
            }
            FloatVector determinant = sumW.mul(sumL2).sub(sumL.mul(sumL));
            VectorMask<Float> solvable = determinant.compare(VectorOperators.GT, 0f);
            if (!solvable.anyTrue()) {
                continue;
            }
            FloatVector thisScale = sumW.mul(sumXL).sub(sumX.mul(sumL)).div(determinant);
            FloatVector thisMin = sumL2.mul(sumX).sub(sumL.mul(sumXL)).div(determinant);
            VectorMask<Float> positive = thisMin.compare(VectorOperators.GT, 0f);
            thisMin = thisMin.blend(zero, positive);
            thisScale = thisScale.blend(sumXL.div(sumL2), positive);
            FloatVector error = zero;
            for (int i = 0; i < n; i++) {
                FloatVector diff = thisScale.mul(FloatVector.fromArray(F, trial, i * LANES)).add(thisMin).sub(FloatVector.fromArray(F, xs, i * LANES));
                diff = absoluteError ? diff.abs() : diff.mul(diff);
                error = error.add(FloatVector.fromArray(F, ws, i * LANES).mul(diff));
            }
            VectorMask<Float> better = solvable.and(error.lt(bestError));
            if (!better.anyTrue()) {
                continue;
            }
            // As in C, a better fit moves the minimum, and later candidates start from it.
            for (int i = 0; i < n; i++) {
                FloatVector.fromArray(F, best, i * LANES).blend(FloatVector.fromArray(F, trial, i * LANES), better).intoArray(best, i * LANES);
            }
            bestError = bestError.blend(error, better);
            scale = scale.blend(thisScale, better);
            min = min.blend(thisMin, better);
            for (int i = 0; i < n; i++) {
                FloatVector.fromArray(F, xs, i * LANES).sub(min).intoArray(shifted, i * LANES);
            }
        }
        for (int i = 0; i < n; i++) {
            FloatVector.fromArray(F, best, i * LANES).blend(zero, flat).intoArray(best, i * LANES);
        }
        for (int g = 0; g < LANES; g++) {
            for (int i = 0; i < n; i++) {
                levels[lo + g * n + i] = (byte) best[i * LANES + g];
            }
        }
        scale.blend(zero, flat).intoArray(scales, so);
        min.blend(flatMin, flat).neg().intoArray(lanes, 0);
        System.arraycopy(lanes, 0, mins, so, LANES);
    }

    @Override
    public void symmetric(int groups, int n, int nmax, float[] x, int xo, byte[] levels, int lo, float[] scales) {
        if (groups % LANES != 0 || n > 32) {
            throw new IllegalArgumentException(groups + " groups of " + n);
        }
        for (int first = 0; first < groups; first += LANES) {
            symmetricEight(n, nmax, x, xo + first * n, levels, lo + first * n, scales, first);
        }
    }

    /** {@link ScaleSearch#symmetric} in each lane: the signed largest value, then 19 scales around -nmax/max, the best by weighted least squares. */
    private void symmetricEight(int n, int nmax, float[] x, int xo, byte[] levels, int lo, float[] scales, int so) {
        for (int g = 0; g < LANES; g++) {
            for (int i = 0; i < n; i++) {
                xs[i * LANES + g] = x[xo + g * n + i];
            }
        }
        FloatVector zero = FloatVector.zero(F);
        FloatVector amax = zero;
        FloatVector max = zero;
        for (int i = 0; i < n; i++) {
            FloatVector v = FloatVector.fromArray(F, xs, i * LANES);
            FloatVector a = v.abs();
            VectorMask<Float> larger = amax.lt(a); // the first of equal magnitudes stays
            amax = amax.blend(a, larger);
            max = max.blend(v, larger);
            // C's weight x^2 and its product with x, the same floats in every candidate: computed once
            FloatVector w = v.mul(v);
            w.intoArray(ws, i * LANES);
            w.mul(v).intoArray(shifted, i * LANES);
        }
        VectorMask<Float> zeros = max.abs().lt(ScaleSearch.GROUP_MAX_EPS);
        FloatVector iscale = FloatVector.broadcast(F, (float) -nmax).div(max);
        FloatVector sumLX = zero;
        FloatVector sumL2 = zero;
        for (int i = 0; i < n; i++) {
            FloatVector l = signedLevel(iscale.mul(FloatVector.fromArray(F, xs, i * LANES)), nmax);
            l.intoArray(best, i * LANES);
            sumLX = sumLX.add(FloatVector.fromArray(F, shifted, i * LANES).mul(l));
            sumL2 = sumL2.add(FloatVector.fromArray(F, ws, i * LANES).mul(l).mul(l));
        }
        FloatVector scale = sumLX.div(sumL2).blend(zero, sumL2.eq(0f));
        FloatVector bestFit = scale.mul(sumLX);
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = FloatVector.broadcast(F, -(nmax + 0.1f * is)).div(max);
            sumLX = zero;
            sumL2 = zero;
            for (int i = 0; i < n; i++) {
                FloatVector l = signedLevel(iscale.mul(FloatVector.fromArray(F, xs, i * LANES)), nmax);
                l.intoArray(trial, i * LANES);
                sumLX = sumLX.add(FloatVector.fromArray(F, shifted, i * LANES).mul(l));
                sumL2 = sumL2.add(FloatVector.fromArray(F, ws, i * LANES).mul(l).mul(l));
            }
            VectorMask<Float> better = sumL2.compare(VectorOperators.GT, 0f).and(sumLX.mul(sumLX).compare(VectorOperators.GT, bestFit.mul(sumL2)));
            if (!better.anyTrue()) {
                continue;
            }
            for (int i = 0; i < n; i++) {
                FloatVector.fromArray(F, best, i * LANES).blend(FloatVector.fromArray(F, trial, i * LANES), better).intoArray(best, i * LANES);
            }
            scale = scale.blend(sumLX.div(sumL2), better);
            bestFit = bestFit.blend(scale.mul(sumLX), better);
        }
        FloatVector offset = FloatVector.broadcast(F, (float) nmax);
        for (int i = 0; i < n; i++) {
            FloatVector.fromArray(F, best, i * LANES).add(offset).blend(zero, zeros).intoArray(best, i * LANES);
        }
        for (int g = 0; g < LANES; g++) {
            for (int i = 0; i < n; i++) {
                levels[lo + g * n + i] = (byte) best[i * LANES + g];
            }
        }
        scale.blend(zero, zeros).intoArray(scales, so);
    }

    @Override
    public void q3(int groups, int n, int nmax, float[] x, int xo, byte[] levels, int lo, float[] scales) {
        if (groups % LANES != 0 || n > 32) {
            throw new IllegalArgumentException(groups + " groups of " + n);
        }
        for (int first = 0; first < groups; first += LANES) {
            q3Eight(n, nmax, x, xo + first * n, levels, lo + first * n, scales, first);
        }
    }

    /**
     * {@link ScaleSearch#q3} in each lane: levels from -nmax/max, then up to five sweeps moving one
     * level at a time while the weighted fit improves. A sweep goes on while any lane changes; a lane
     * whose sweep changed nothing would change nothing in the next either, as its state is the same.
     */
    private void q3Eight(int n, int nmax, float[] x, int xo, byte[] levels, int lo, float[] scales, int so) {
        for (int g = 0; g < LANES; g++) {
            for (int i = 0; i < n; i++) {
                xs[i * LANES + g] = x[xo + g * n + i];
            }
        }
        FloatVector zero = FloatVector.zero(F);
        FloatVector amax = zero;
        FloatVector max = zero;
        for (int i = 0; i < n; i++) {
            FloatVector v = FloatVector.fromArray(F, xs, i * LANES);
            FloatVector a = v.abs();
            VectorMask<Float> larger = amax.lt(a);
            amax = amax.blend(a, larger);
            max = max.blend(v, larger);
            FloatVector w = v.mul(v);
            w.intoArray(ws, i * LANES);
            w.mul(v).intoArray(shifted, i * LANES); // C's w*x, the same float wherever it appears
        }
        VectorMask<Float> zeros = max.abs().lt(ScaleSearch.GROUP_MAX_EPS);
        FloatVector iscale = FloatVector.broadcast(F, (float) -nmax).div(max);
        FloatVector sumLX = zero;
        FloatVector sumL2 = zero;
        for (int i = 0; i < n; i++) {
            FloatVector l = signedLevel(iscale.mul(FloatVector.fromArray(F, xs, i * LANES)), nmax);
            l.intoArray(best, i * LANES);
            sumLX = sumLX.add(FloatVector.fromArray(F, shifted, i * LANES).mul(l));
            sumL2 = sumL2.add(FloatVector.fromArray(F, ws, i * LANES).mul(l).mul(l));
        }
        VectorMask<Float> live = zeros.not();
        for (int attempt = 0; attempt < 5; attempt++) {
            VectorMask<Float> changed = F.maskAll(false);
            for (int i = 0; i < n; i++) {
                FloatVector v = FloatVector.fromArray(F, xs, i * LANES);
                FloatVector w = FloatVector.fromArray(F, ws, i * LANES);
                FloatVector wv = FloatVector.fromArray(F, shifted, i * LANES);
                FloatVector current = FloatVector.fromArray(F, best, i * LANES);
                FloatVector slx = sumLX.sub(wv.mul(current));
                VectorMask<Float> movable = live.and(slx.compare(VectorOperators.GT, 0f));
                if (!movable.anyTrue()) {
                    continue;
                }
                FloatVector sl2 = sumL2.sub(w.mul(current).mul(current));
                FloatVector l = q3Level(v.mul(sl2).div(slx), nmax, movable);
                VectorMask<Float> differs = movable.and(l.compare(VectorOperators.NE, current));
                slx = slx.add(wv.mul(l));
                sl2 = sl2.add(w.mul(l).mul(l));
                VectorMask<Float> better = differs.and(sl2.compare(VectorOperators.GT, 0f))
                        .and(slx.mul(slx).mul(sumL2).compare(VectorOperators.GT, sumLX.mul(sumLX).mul(sl2)));
                if (better.anyTrue()) {
                    current.blend(l, better).intoArray(best, i * LANES);
                    sumLX = sumLX.blend(slx, better);
                    sumL2 = sumL2.blend(sl2, better);
                    changed = changed.or(better);
                }
            }
            if (!changed.anyTrue()) {
                break;
            }
        }
        FloatVector offset = FloatVector.broadcast(F, (float) nmax);
        for (int i = 0; i < n; i++) {
            FloatVector.fromArray(F, best, i * LANES).add(offset).blend(zero, zeros).intoArray(best, i * LANES);
        }
        for (int g = 0; g < LANES; g++) {
            for (int i = 0; i < n; i++) {
                levels[lo + g * n + i] = (byte) best[i * LANES + g];
            }
        }
        sumLX.div(sumL2).blend(zero, sumL2.compare(VectorOperators.GT, 0f).not().or(zeros)).intoArray(scales, so);
    }

    /**
     * {@link #signedLevel} of a quotient that may leave nearest_int's range (|value| >= 2^22, where
     * C's bit trick gives another integer than rounding): those rare lanes take the scalar trick.
     */
    private FloatVector q3Level(FloatVector scaled, int nmax, VectorMask<Float> lanes) {
        VectorMask<Float> outside = lanes.and(scaled.abs().compare(VectorOperators.GE, 4194304f));
        if (!outside.anyTrue()) {
            return signedLevel(scaled, nmax);
        }
        float[] values = scaled.toArray();
        for (int g = 0; g < LANES; g++) {
            values[g] = Math.max(-nmax, Math.min(nmax - 1, Rounding.nearestInt(values[g])));
        }
        return FloatVector.fromArray(F, values, 0);
    }

    @Override
    public void requantize(int groups, int n, float[] x, int xo, float[] dl, float[] ml, int lowest, int highest, int offset, byte[] levels, int lo) {
        if (n % LANES != 0) {
            throw new IllegalArgumentException("groups of " + n);
        }
        for (int j = 0; j < groups; j++) {
            if (dl[j] == 0) {
                continue; // the group keeps the levels of its search, as in C
            }
            FloatVector scale = FloatVector.broadcast(F, dl[j]);
            for (int i = 0; i < n; i += LANES) {
                int at = xo + n * j + i;
                FloatVector v = FloatVector.fromArray(F, x, at);
                FloatVector q = (ml == null ? v : v.add(ml[j])).div(scale);
                if (q.abs().compare(VectorOperators.LT, 4194304f).allTrue()) {
                    q.add(12582912f).sub(12582912f).max((float) lowest).min((float) highest).intoArray(lanes, 0);
                } else {
                    // Out of nearest_int's range, or NaN: C's bit trick, lane by lane, as the scalar search does
                    q.intoArray(lanes, 0);
                    for (int g = 0; g < LANES; g++) {
                        lanes[g] = Math.max(lowest, Math.min(highest, Rounding.nearestInt(lanes[g])));
                    }
                }
                for (int g = 0; g < LANES; g++) {
                    levels[lo + n * j + i + g] = (byte) ((int) lanes[g] + offset);
                }
            }
        }
    }

    /** As {@link #level}, clamped to -nmax..nmax-1. */
    private static FloatVector signedLevel(FloatVector scaled, int nmax) {
        return scaled.add(12582912f).sub(12582912f).max((float) -nmax).min((float) (nmax - 1));
    }

    /**
     * ggml's nearest_int in every lane, clamped to 0..nmax, as a float: adding 1.5 * 2^23 rounds to
     * the nearest integer (halves to even), and subtracting it again leaves that integer exactly,
     * the value {@link Rounding#nearestInt} reads from the mantissa bits (|value| < 2^22, as in C).
     */
    private static FloatVector level(FloatVector scaled, int nmax) {
        return scaled.add(12582912f).sub(12582912f).max(0f).min((float) nmax);
    }
}
