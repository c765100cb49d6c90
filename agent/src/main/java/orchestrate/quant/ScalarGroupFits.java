package orchestrate.quant;

/** One group after another, through {@link ScaleSearch}: C's reference loops as they are. */
final class ScalarGroupFits implements GroupFits {

    private final ScaleSearch search = new ScaleSearch();
    private final byte[] aux = new byte[32];

    @Override
    public int groupsAtOnce() {
        return 1;
    }

    @Override
    public void fit(int groups, int n, int nmax, float[] x, int xo, float[] weights, byte[] levels, int lo, float[] scales, float[] mins, float rmin,
                    float rdelta, int nstep, boolean absoluteError) {
        for (int j = 0; j < groups; j++) {
            scales[j] = search.asymmetric(n, nmax, x, xo + n * j, weights, n * j, levels, lo + n * j, mins, j, aux, rmin, rdelta, nstep, absoluteError);
        }
    }

    @Override
    public void symmetric(int groups, int n, int nmax, float[] x, int xo, byte[] levels, int lo, float[] scales) {
        for (int j = 0; j < groups; j++) {
            scales[j] = ScaleSearch.symmetric(n, nmax, x, xo + n * j, levels, lo + n * j);
        }
    }

    @Override
    public void q3(int groups, int n, int nmax, float[] x, int xo, byte[] levels, int lo, float[] scales) {
        for (int j = 0; j < groups; j++) {
            scales[j] = ScaleSearch.q3(n, nmax, x, xo + n * j, levels, lo + n * j);
        }
    }

    @Override
    public void requantize(int groups, int n, float[] x, int xo, float[] dl, float[] ml, int lowest, int highest, int offset, byte[] levels, int lo) {
        for (int j = 0; j < groups; j++) {
            if (dl[j] == 0) {
                continue; // the group keeps the levels of its search, as in C
            }
            for (int i = 0; i < n; i++) {
                float v = ml == null ? x[xo + n * j + i] : x[xo + n * j + i] + ml[j];
                levels[lo + n * j + i] = (byte) (Math.max(lowest, Math.min(highest, Rounding.nearestInt(v / dl[j]))) + offset);
            }
        }
    }
}
