package orchestrate.quant;

import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Groups searched side by side, one per lane of the widest float vector the CPU has (sixteen lanes
 * with AVX-512, eight with AVX2): the groups are laid out lane by lane (value i of every group side
 * by side), and each lane runs {@link ScaleSearch}'s operations in the same order, with comparisons
 * and blends where the scalar search branches; lanes beyond the last group search zeros, and their
 * results are dropped. Levels are kept as floats (whole numbers), which is what the scalar sums
 * convert them to; JDK 17's int-to-float lane conversion cost more than the whole search. No sum is
 * reordered and nothing is fused (the Vector API adds and multiplies lanewise, IEEE single), so
 * every lane's floats, and the blocks, are the scalar searches' bit for bit.
 *
 * <p>The Vector API becomes vector instructions only where C2 inlines it, so: each search is split
 * into phases, methods that hand their vectors over in a float array ({@link #state}), because C2
 * stops inlining past a node count (NodeCountInliningCutoff) and one whole search ran partly as
 * plain Java, several times slower; a vector carried from one candidate to the next is blended
 * unconditionally rather than assigned in a branch, which C2 left boxed; and the searches' common
 * openings stay written out in each, as helpers returning vectors in an object array boxed them.
 */
final class VectorGroupFits implements GroupFits {

    /** A constant, as C2 needs it to compile the lanes into vector instructions. */
    private static final VectorSpecies<Float> F = Integer.getInteger(GroupFits.LANES_PROPERTY, 0) == 8 ? FloatVector.SPECIES_256
            : FloatVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();

    /** Values, weights, values less the minimum, and levels: [value index][lane]. */
    private final float[] xs = new float[32 * LANES];
    private final float[] ws = new float[32 * LANES];
    private final float[] shifted = new float[32 * LANES];
    private final float[] best = new float[32 * LANES];
    private final float[] trial = new float[32 * LANES];
    private final float[] lanes = new float[LANES];
    /** Where each lane's group starts in a full set of groups of 16, and of 32 (the K-quants' groups). */
    private static final int[] STARTS_16 = IntStream.range(0, LANES).map(g -> 16 * g).toArray();
    private static final int[] STARTS_32 = IntStream.range(0, LANES).map(g -> 32 * g).toArray();

    /** Vectors one phase of a search leaves for the next: lane by lane, at the offsets below. */
    private final float[] state = new float[12 * LANES];
    private static final int MAX = 0;
    private static final int SUM_LX = LANES;
    private static final int SUM_L2 = 2 * LANES;
    private static final int ISCALE = 3 * LANES;
    private static final int SHIFT = 4 * LANES;
    private static final int FLAT = 5 * LANES;
    private static final int FLAT_MIN = 6 * LANES;
    private static final int MIN = 7 * LANES;
    private static final int SUM_W = 8 * LANES;
    private static final int SUM_X = 9 * LANES;
    private static final int SCALE = 10 * LANES;
    private static final int ERROR = 11 * LANES;

    private VectorGroupFits() {}

    static GroupFits create() {
        return new VectorGroupFits();
    }

    @Override
    public int groupsAtOnce() {
        return LANES;
    }

    /** The lanes of this CPU's vectors, without making the scratch arrays of a search. */
    static int lanes() {
        return LANES;
    }

    @Override
    public void fit(int groups, int n, int nmax, float[] x, int xo, float[] weights, byte[] levels, int lo, float[] scales, float[] mins, float rmin,
                    float rdelta, int nstep, boolean absoluteError) {
        if (n > 32) {
            throw new IllegalArgumentException("groups of " + n);
        }
        for (int first = 0; first < groups; first += LANES) {
            fitLanes(Math.min(LANES, groups - first), n, nmax, x, xo + first * n, weights, first * n, levels, lo + first * n, scales, mins, first, rmin,
                    rdelta, nstep, absoluteError);
        }
    }

    /**
     * {@link ScaleSearch#asymmetric} in each of the first {@code groups} lanes (the others search
     * zeros), in three phases (see the class comment): the opening, the candidates, the levels.
     */
    private void fitLanes(int groups, int n, int nmax, float[] x, int xo, float[] weights, int wo, byte[] levels, int lo, float[] scales, float[] mins,
                          int so, float rmin, float rdelta, int nstep, boolean absoluteError) {
        gather(groups, n, x, xo, xs);
        gather(groups, n, weights, wo, ws);
        fitStart(n, nmax, absoluteError);
        fitCandidates(n, nmax, rmin, rdelta, nstep, absoluteError);
        fitLevels(groups, n, nmax, levels, lo);
        FloatVector zero = FloatVector.zero(F);
        VectorMask<Float> flat = FloatVector.fromArray(F, state, FLAT).eq(1f);
        FloatVector.fromArray(F, state, SCALE).blend(zero, flat).intoArray(lanes, 0);
        System.arraycopy(lanes, 0, scales, so, groups);
        FloatVector.fromArray(F, state, MIN).blend(FloatVector.fromArray(F, state, FLAT_MIN), flat).neg().intoArray(lanes, 0);
        System.arraycopy(lanes, 0, mins, so, groups);
    }

    /** The range, the weights' sums and the first fit (levels from the range, their error) of each lane. */
    private void fitStart(int n, int nmax, boolean absoluteError) {
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
        FloatVector iscale = FloatVector.broadcast(F, (float) nmax).div(max.sub(min));
        FloatVector scale = FloatVector.broadcast(F, 1f).div(iscale);
        FloatVector error = zero;
        for (int i = 0; i < n; i++) {
            FloatVector v = FloatVector.fromArray(F, xs, i * LANES);
            FloatVector s = v.sub(min);
            s.intoArray(shifted, i * LANES);
            FloatVector l = level(iscale.mul(s), nmax);
            FloatVector diff = scale.mul(l).add(min).sub(v);
            diff = absoluteError ? diff.abs() : diff.mul(diff);
            error = error.add(FloatVector.fromArray(F, ws, i * LANES).mul(diff));
        }
        zero.blend(1f, max.eq(min)).intoArray(state, FLAT);
        min.intoArray(state, FLAT_MIN);
        min.intoArray(state, MIN);
        max.intoArray(state, MAX);
        sumW.intoArray(state, SUM_W);
        sumX.intoArray(state, SUM_X);
        iscale.intoArray(state, ISCALE);
        min.intoArray(state, SHIFT);
        scale.intoArray(state, SCALE);
        error.intoArray(state, ERROR);
    }

    /**
     * The candidate scales (rmin + rdelta * step + nmax) / range, each refitted by weighted least
     * squares; the best of each lane stays in {@link #state}. The levels are a function of the scale
     * tried and the minimum the values were shifted by, so the best fit's are computed again at the
     * end ({@link #fitLevels}) rather than kept.
     */
    private void fitCandidates(int n, int nmax, float rmin, float rdelta, int nstep, boolean absoluteError) {
        FloatVector zero = FloatVector.zero(F);
        FloatVector min = FloatVector.fromArray(F, state, MIN);
        FloatVector max = FloatVector.fromArray(F, state, MAX);
        FloatVector sumW = FloatVector.fromArray(F, state, SUM_W);
        FloatVector sumX = FloatVector.fromArray(F, state, SUM_X);
        FloatVector bestIscale = FloatVector.fromArray(F, state, ISCALE);
        FloatVector bestShift = FloatVector.fromArray(F, state, SHIFT);
        FloatVector scale = FloatVector.fromArray(F, state, SCALE);
        FloatVector bestError = FloatVector.fromArray(F, state, ERROR);
        for (int step = 0; step <= nstep; step++) {
            FloatVector iscale = FloatVector.broadcast(F, rmin + rdelta * step + nmax).div(max.sub(min));
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
            bestIscale = bestIscale.blend(iscale, better);
            bestShift = bestShift.blend(min, better);
            bestError = bestError.blend(error, better);
            scale = scale.blend(thisScale, better);
            // As in C, a better fit moves the minimum, and later candidates start from it.
            min = min.blend(thisMin, better);
            if (better.anyTrue()) {
                for (int i = 0; i < n; i++) {
                    FloatVector.fromArray(F, xs, i * LANES).sub(min).intoArray(shifted, i * LANES);
                }
            }
        }
        min.intoArray(state, MIN);
        bestIscale.intoArray(state, ISCALE);
        bestShift.intoArray(state, SHIFT);
        scale.intoArray(state, SCALE);
    }

    /** The levels of each lane's best fit (all zero for a flat group) to {@code levels}. */
    private void fitLevels(int groups, int n, int nmax, byte[] levels, int lo) {
        FloatVector zero = FloatVector.zero(F);
        VectorMask<Float> flat = FloatVector.fromArray(F, state, FLAT).eq(1f);
        FloatVector iscale = FloatVector.fromArray(F, state, ISCALE);
        FloatVector shift = FloatVector.fromArray(F, state, SHIFT);
        for (int i = 0; i < n; i++) {
            asBytes(level(iscale.mul(FloatVector.fromArray(F, xs, i * LANES).sub(shift)), nmax).blend(zero, flat)).intoArray(best, i * LANES);
        }
        scatter(groups, n, levels, lo);
    }

    @Override
    public void symmetric(int groups, int n, int nmax, float[] x, int xo, byte[] levels, int lo, float[] scales) {
        if (n > 32) {
            throw new IllegalArgumentException("groups of " + n);
        }
        for (int first = 0; first < groups; first += LANES) {
            symmetricLanes(Math.min(LANES, groups - first), n, nmax, x, xo + first * n, levels, lo + first * n, scales, first);
        }
    }

    /** {@link ScaleSearch#symmetric} in each lane: the signed largest value, then 19 scales around -nmax/max, the best by weighted least squares. */
    private void symmetricLanes(int groups, int n, int nmax, float[] x, int xo, byte[] levels, int lo, float[] scales, int so) {
        gather(groups, n, x, xo, xs);
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
            sumLX = sumLX.add(FloatVector.fromArray(F, shifted, i * LANES).mul(l));
            sumL2 = sumL2.add(FloatVector.fromArray(F, ws, i * LANES).mul(l).mul(l));
        }
        FloatVector scale = sumLX.div(sumL2).blend(zero, sumL2.eq(0f));
        FloatVector bestFit = scale.mul(sumLX);
        // The levels are a function of the scale tried: the best one's are computed again at the end rather than kept.
        FloatVector bestIscale = iscale;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) {
                continue;
            }
            iscale = FloatVector.broadcast(F, -(nmax + 0.1f * is)).div(max);
            sumLX = zero;
            sumL2 = zero;
            for (int i = 0; i < n; i++) {
                FloatVector l = signedLevel(iscale.mul(FloatVector.fromArray(F, xs, i * LANES)), nmax);
                sumLX = sumLX.add(FloatVector.fromArray(F, shifted, i * LANES).mul(l));
                sumL2 = sumL2.add(FloatVector.fromArray(F, ws, i * LANES).mul(l).mul(l));
            }
            VectorMask<Float> better = sumL2.compare(VectorOperators.GT, 0f).and(sumLX.mul(sumLX).compare(VectorOperators.GT, bestFit.mul(sumL2)));
            bestIscale = bestIscale.blend(iscale, better);
            scale = scale.blend(sumLX.div(sumL2), better);
            bestFit = bestFit.blend(scale.mul(sumLX), better);
        }
        bestIscale.intoArray(state, ISCALE);
        scale.blend(zero, zeros).intoArray(lanes, 0);
        System.arraycopy(lanes, 0, scales, so, groups);
        max.intoArray(state, MAX);
        symmetricLevels(groups, n, nmax, levels, lo);
    }

    /**
     * The levels of the best scale of each lane, + nmax (all zero for a zero group), to {@code levels}.
     * A phase of its own (see the class comment).
     */
    private void symmetricLevels(int groups, int n, int nmax, byte[] levels, int lo) {
        FloatVector zero = FloatVector.zero(F);
        VectorMask<Float> zeros = FloatVector.fromArray(F, state, MAX).abs().lt(ScaleSearch.GROUP_MAX_EPS);
        FloatVector iscale = FloatVector.fromArray(F, state, ISCALE);
        FloatVector offset = FloatVector.broadcast(F, (float) nmax);
        for (int i = 0; i < n; i++) {
            asBytes(signedLevel(iscale.mul(FloatVector.fromArray(F, xs, i * LANES)), nmax).add(offset).blend(zero, zeros)).intoArray(best, i * LANES);
        }
        scatter(groups, n, levels, lo);
    }

    @Override
    public void q3(int groups, int n, int nmax, float[] x, int xo, byte[] levels, int lo, float[] scales) {
        if (n > 32) {
            throw new IllegalArgumentException("groups of " + n);
        }
        for (int first = 0; first < groups; first += LANES) {
            q3Lanes(Math.min(LANES, groups - first), n, nmax, x, xo + first * n, levels, lo + first * n, scales, first);
        }
    }

    /**
     * {@link ScaleSearch#q3} in each lane: levels from -nmax/max, then up to five sweeps moving one
     * level at a time while the weighted fit improves. A sweep goes on while any lane changes; a lane
     * whose sweep changed nothing would change nothing in the next either, as its state is the same.
     * In three phases (see the class comment).
     */
    private void q3Lanes(int groups, int n, int nmax, float[] x, int xo, byte[] levels, int lo, float[] scales, int so) {
        gather(groups, n, x, xo, xs);
        q3Start(n, nmax);
        for (int attempt = 0; attempt < 5; attempt++) {
            if (!q3Sweep(n, nmax)) {
                break;
            }
        }
        q3Finish(groups, n, nmax, levels, lo, scales, so);
    }

    /** The signed largest value of each lane, C's weights and w*x, the first levels and their sums. */
    private void q3Start(int n, int nmax) {
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
        FloatVector iscale = FloatVector.broadcast(F, (float) -nmax).div(max);
        FloatVector sumLX = zero;
        FloatVector sumL2 = zero;
        for (int i = 0; i < n; i++) {
            FloatVector l = signedLevel(iscale.mul(FloatVector.fromArray(F, xs, i * LANES)), nmax);
            l.intoArray(best, i * LANES);
            sumLX = sumLX.add(FloatVector.fromArray(F, shifted, i * LANES).mul(l));
            sumL2 = sumL2.add(FloatVector.fromArray(F, ws, i * LANES).mul(l).mul(l));
        }
        max.intoArray(state, MAX);
        sumLX.intoArray(state, SUM_LX);
        sumL2.intoArray(state, SUM_L2);
    }

    /** One sweep over the values of every lane; whether any lane's levels changed. */
    private boolean q3Sweep(int n, int nmax) {
        VectorMask<Float> live = FloatVector.fromArray(F, state, MAX).abs().lt(ScaleSearch.GROUP_MAX_EPS).not();
        FloatVector sumLX = FloatVector.fromArray(F, state, SUM_LX);
        FloatVector sumL2 = FloatVector.fromArray(F, state, SUM_L2);
        boolean changed = false;
        for (int i = 0; i < n; i++) {
            FloatVector v = FloatVector.fromArray(F, xs, i * LANES);
            FloatVector w = FloatVector.fromArray(F, ws, i * LANES);
            FloatVector wv = FloatVector.fromArray(F, shifted, i * LANES);
            FloatVector current = FloatVector.fromArray(F, best, i * LANES);
            FloatVector slx = sumLX.sub(wv.mul(current));
            VectorMask<Float> movable = live.and(slx.compare(VectorOperators.GT, 0f));
            FloatVector sl2 = sumL2.sub(w.mul(current).mul(current));
            FloatVector scaled = v.mul(sl2).div(slx);
            FloatVector l = signedLevel(scaled, nmax);
            if (movable.and(scaled.abs().compare(VectorOperators.GE, 4194304f)).anyTrue()) {
                // Beyond nearest_int's range (|value| >= 2^22) C's bit trick gives another integer than rounding: those rare lanes take the scalar trick
                scaled.intoArray(lanes, 0);
                scalarLevels(nmax);
                l = FloatVector.fromArray(F, lanes, 0);
            }
            VectorMask<Float> differs = movable.and(l.compare(VectorOperators.NE, current));
            slx = slx.add(wv.mul(l));
            sl2 = sl2.add(w.mul(l).mul(l));
            VectorMask<Float> better = differs.and(sl2.compare(VectorOperators.GT, 0f))
                    .and(slx.mul(slx).mul(sumL2).compare(VectorOperators.GT, sumLX.mul(sumLX).mul(sl2)));
            current.blend(l, better).intoArray(best, i * LANES);
            sumLX = sumLX.blend(slx, better);
            sumL2 = sumL2.blend(sl2, better);
            changed |= better.anyTrue();
        }
        sumLX.intoArray(state, SUM_LX);
        sumL2.intoArray(state, SUM_L2);
        return changed;
    }

    /** Each lane's levels (+ nmax, all zero for a zero group) to {@code levels}, its scale to {@code scales}. */
    private void q3Finish(int groups, int n, int nmax, byte[] levels, int lo, float[] scales, int so) {
        FloatVector zero = FloatVector.zero(F);
        VectorMask<Float> zeros = FloatVector.fromArray(F, state, MAX).abs().lt(ScaleSearch.GROUP_MAX_EPS);
        FloatVector sumLX = FloatVector.fromArray(F, state, SUM_LX);
        FloatVector sumL2 = FloatVector.fromArray(F, state, SUM_L2);
        FloatVector offset = FloatVector.broadcast(F, (float) nmax);
        for (int i = 0; i < n; i++) {
            asBytes(FloatVector.fromArray(F, best, i * LANES).add(offset).blend(zero, zeros)).intoArray(best, i * LANES);
        }
        scatter(groups, n, levels, lo);
        sumLX.div(sumL2).blend(zero, sumL2.compare(VectorOperators.GT, 0f).not().or(zeros)).intoArray(lanes, 0);
        System.arraycopy(lanes, 0, scales, so, groups);
    }

    /** {@link Rounding#nearestInt} of every lane in {@link #lanes}, clamped to -nmax..nmax-1. */
    private void scalarLevels(int nmax) {
        for (int g = 0; g < LANES; g++) {
            lanes[g] = Math.max(-nmax, Math.min(nmax - 1, Rounding.nearestInt(lanes[g])));
        }
    }

    /** Lays {@code groups} groups of {@code n} values out lane by lane in {@code to}: value i of group g at [i][g]; the lanes beyond hold zeros. */
    private static void gather(int groups, int n, float[] from, int at, float[] to) {
        if (groups == LANES && (n == 16 || n == 32)) {
            int[] starts = n == 16 ? STARTS_16 : STARTS_32;
            for (int i = 0; i < n; i++) {
                FloatVector.fromArray(F, from, at + i, starts, 0).intoArray(to, i * LANES); // one gathering load a value index
            }
            return;
        }
        for (int g = 0; g < groups; g++) {
            for (int i = 0; i < n; i++) {
                to[i * LANES + g] = from[at + g * n + i];
            }
        }
        for (int g = groups; g < LANES; g++) {
            for (int i = 0; i < n; i++) {
                to[i * LANES + g] = 0;
            }
        }
    }

    /** The final levels of the first {@code groups} lanes ({@link #asBytes}), back in group order. */
    private void scatter(int groups, int n, byte[] levels, int lo) {
        for (int g = 0; g < groups; g++) {
            for (int i = 0; i < n; i++) {
                levels[lo + g * n + i] = (byte) Float.floatToRawIntBits(best[i * LANES + g]);
            }
        }
    }

    /**
     * Final levels (whole numbers 0..255, or NaN) as floats whose low byte is the level: adding 1.5 *
     * 2^23 puts a whole number in the low mantissa bits, so {@link #scatter} reads bits instead of
     * converting each float (a NaN lane becomes 0, as a float-to-byte cast makes it).
     */
    private static FloatVector asBytes(FloatVector levels) {
        return levels.blend(0f, levels.test(VectorOperators.IS_NAN)).add(12582912f);
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
                    // The level plus offset, as a float whose low byte it is (see asBytes)
                    q.add(12582912f).sub(12582912f).max((float) lowest).min((float) highest).add(offset + 12582912f).intoArray(lanes, 0);
                } else {
                    // Out of nearest_int's range, or NaN: C's bit trick, lane by lane, as the scalar search does
                    q.intoArray(lanes, 0);
                    for (int g = 0; g < LANES; g++) {
                        lanes[g] = Math.max(lowest, Math.min(highest, Rounding.nearestInt(lanes[g]))) + offset + 12582912f;
                    }
                }
                for (int g = 0; g < LANES; g++) {
                    levels[lo + n * j + i + g] = (byte) Float.floatToRawIntBits(lanes[g]);
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
