package orchestrate.quant;

/**
 * The scale searches of a block's groups: the asymmetric fit ({@code make_qkx2_quants}: levels
 * 0..nmax, a scale and a minimum per group), the symmetric one ({@code make_qx_quants}) and Q3_K's
 * ({@code make_q3_quants}). Each group's search is C's, in C's order of float operations; the
 * groups are independent, so they may run side by side, one per SIMD lane ({@link VectorGroupFits}),
 * with every lane doing exactly what the scalar search does ({@link ScalarGroupFits}, the oracle).
 */
interface GroupFits {

    /** Set to {@code true} to use the scalar searches even where the Vector API is there. */
    String SCALAR_PROPERTY = "orchestrate.quantize.scalar";

    /** Set to {@code 8} to search in 256-bit vectors even where the CPU has wider ones (to compare them; the bytes are the same). */
    String LANES_PROPERTY = "orchestrate.quantize.lanes";

    /**
     * Fits {@code groups} consecutive groups of {@code n} values from {@code x[xo]}.
     *
     * @param weights {@code groups * n} weights, group by group
     * @param levels  receives {@code groups * n} levels from {@code lo}
     * @param scales  receives each group's scale
     * @param mins    receives each group's minimum, negated (the value that is subtracted)
     */
    void fit(int groups, int n, int nmax, float[] x, int xo, float[] weights, byte[] levels, int lo, float[] scales, float[] mins, float rmin,
             float rdelta, int nstep, boolean absoluteError);

    /**
     * Fits {@code groups} consecutive groups of {@code n} values from {@code x[xo]} with symmetric
     * levels -nmax..nmax-1 weighted by x^2, written + nmax (all zeros for a group of zeros).
     */
    void symmetric(int groups, int n, int nmax, float[] x, int xo, byte[] levels, int lo, float[] scales);

    /** Q3_K's search ({@link ScaleSearch#q3}) on {@code groups} consecutive groups of {@code n} values: levels + nmax, each group's scale. */
    void q3(int groups, int n, int nmax, float[] x, int xo, byte[] levels, int lo, float[] scales);

    /**
     * The levels of {@code groups} groups of {@code n} values against their stored scales, as the
     * K-quants compute them after rounding the scales: {@code nearest_int((x + ml) / dl)} clamped to
     * lowest..highest, plus {@code offset}. A group whose {@code dl} is 0 keeps the levels it has.
     *
     * @param ml each group's minimum to add first, or null for none
     */
    void requantize(int groups, int n, float[] x, int xo, float[] dl, float[] ml, int lowest, int highest, int offset, byte[] levels, int lo);

    /** How many groups one search runs side by side: callers that pass at least this many keep every lane busy. */
    int groupsAtOnce();

    /** The fastest fits this JVM can run: in SIMD lanes when jdk.incubator.vector is there (and not switched off), else one group at a time. */
    static GroupFits create() {
        return simd() ? VectorGroupFits.create() : new ScalarGroupFits();
    }

    /** Whether {@link #create} gives the SIMD searches here: jdk.incubator.vector is there and not switched off. */
    static boolean simd() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() && !Boolean.getBoolean(SCALAR_PROPERTY);
    }
}
