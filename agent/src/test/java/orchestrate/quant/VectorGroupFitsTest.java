package orchestrate.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The SIMD fits are the scalar searches', bit for bit: every level, scale and minimum, on Gaussian
 * groups of every size and on the groups where the searches branch (all equal, all zero, all
 * positive, one outlier, ties, huge and tiny magnitudes), for Q4_K's, Q5_K's and Q2_K's asymmetric
 * settings, Q6_K's symmetric one and Q3_K's.
 */
class VectorGroupFitsTest {

    record Setting(String name, int groups, int n, int nmax, float rmin, float rdelta, int nstep, boolean absoluteError) {}

    static final Setting[] SETTINGS = {
        new Setting("Q4_K", 8, 32, 15, -1f, 0.1f, 20, false),
        new Setting("Q5_K", 8, 32, 31, -0.5f, 0.1f, 15, false),
        new Setting("Q2_K", 16, 16, 3, -0.5f, 0.1f, 15, true),
    };

    @Test
    void theTestsJvmRunsTheVectorPath() {
        assertInstanceOf(VectorGroupFits.class, GroupFits.create(), "surefire's argLine adds jdk.incubator.vector; without it this test proves nothing");
    }

    @Test
    void everyLaneFitsItsGroupExactlyAsTheScalarSearchDoes() {
        Random random = new Random(7);
        for (Setting s : SETTINGS) {
            int values = s.groups() * s.n();
            GroupFits vector = VectorGroupFits.create();
            GroupFits scalar = new ScalarGroupFits();
            for (int block = 0; block < 3000; block++) {
                float[] x = block(random, values, s.n(), block);
                float[] weights = new float[values];
                for (int i = 0; i < values; i++) {
                    weights[i] = s.absoluteError() ? Math.abs(x[i]) : 0.01f + Math.abs(x[i]);
                }
                byte[] expectedLevels = new byte[values];
                byte[] levels = new byte[values];
                float[] expectedScales = new float[s.groups()];
                float[] scales = new float[s.groups()];
                float[] expectedMins = new float[s.groups()];
                float[] mins = new float[s.groups()];
                scalar.fit(s.groups(), s.n(), s.nmax(), x, 0, weights, expectedLevels, 0, expectedScales, expectedMins, s.rmin(), s.rdelta(), s.nstep(),
                        s.absoluteError());
                vector.fit(s.groups(), s.n(), s.nmax(), x, 0, weights, levels, 0, scales, mins, s.rmin(), s.rdelta(), s.nstep(), s.absoluteError());
                String where = s.name() + " block " + block;
                assertArrayEquals(expectedLevels, levels, where);
                for (int g = 0; g < s.groups(); g++) {
                    assertEquals(Float.floatToRawIntBits(expectedScales[g]), Float.floatToRawIntBits(scales[g]), where + " scale of group " + g);
                    assertEquals(Float.floatToRawIntBits(expectedMins[g]), Float.floatToRawIntBits(mins[g]), where + " min of group " + g);
                }
            }
        }
    }

    @Test
    void everyLaneFitsItsSymmetricGroupExactlyAsTheScalarSearchDoes() {
        Random random = new Random(8);
        GroupFits vector = VectorGroupFits.create();
        GroupFits scalar = new ScalarGroupFits();
        for (int block = 0; block < 5000; block++) {
            float[] x = block(random, 256, 16, block);
            byte[] expectedLevels = new byte[256];
            byte[] levels = new byte[256];
            float[] expectedScales = new float[16];
            float[] scales = new float[16];
            scalar.symmetric(16, 16, 32, x, 0, expectedLevels, 0, expectedScales); // Q6_K's groups
            vector.symmetric(16, 16, 32, x, 0, levels, 0, scales);
            assertArrayEquals(expectedLevels, levels, "block " + block);
            for (int g = 0; g < 16; g++) {
                assertEquals(Float.floatToRawIntBits(expectedScales[g]), Float.floatToRawIntBits(scales[g]), "block " + block + " scale of group " + g);
            }
        }
    }

    @Test
    void everyLaneRunsQ3KsSearchExactlyAsTheScalarSearchDoes() {
        Random random = new Random(9);
        GroupFits vector = VectorGroupFits.create();
        GroupFits scalar = new ScalarGroupFits();
        for (int block = 0; block < 5000; block++) {
            float[] x = block(random, 256, 16, block);
            byte[] expectedLevels = new byte[256];
            byte[] levels = new byte[256];
            float[] expectedScales = new float[16];
            float[] scales = new float[16];
            scalar.q3(16, 16, 4, x, 0, expectedLevels, 0, expectedScales);
            vector.q3(16, 16, 4, x, 0, levels, 0, scales);
            assertArrayEquals(expectedLevels, levels, "block " + block);
            for (int g = 0; g < 16; g++) {
                assertEquals(Float.floatToRawIntBits(expectedScales[g]), Float.floatToRawIntBits(scales[g]), "block " + block + " scale of group " + g);
            }
        }
    }

    @Test
    void levelsAgainstTheStoredScalesAreTheScalarOnesEvenOutOfNearestIntsRangeAndForNaN() {
        Random random = new Random(10);
        GroupFits vector = VectorGroupFits.create();
        GroupFits scalar = new ScalarGroupFits();
        for (int block = 0; block < 4000; block++) {
            float[] x = block(random, 256, 16, block);
            if (block % 97 == 0) {
                x[random.nextInt(256)] = Float.NaN;
            }
            boolean q6 = block % 2 == 0;
            int groups = q6 ? 16 : 8;
            int n = 256 / groups;
            float[] dl = new float[groups];
            float[] ml = new float[groups];
            for (int j = 0; j < groups; j++) {
                dl[j] = switch (random.nextInt(8)) {
                    case 0 -> 0f; // kept as searched
                    case 1 -> 1e-30f; // quotients far beyond 2^22: C's bit trick, not rounding
                    default -> (float) Math.abs(random.nextGaussian()) * 0.05f + 1e-4f;
                };
                ml[j] = (float) random.nextGaussian() * 0.01f;
            }
            byte[] expected = new byte[256];
            random.nextBytes(expected);
            byte[] levels = expected.clone();
            if (q6) {
                scalar.requantize(groups, n, x, 0, dl, null, -32, 31, 32, expected, 0);
                vector.requantize(groups, n, x, 0, dl, null, -32, 31, 32, levels, 0);
            } else {
                scalar.requantize(groups, n, x, 0, dl, ml, 0, 15, 0, expected, 0);
                vector.requantize(groups, n, x, 0, dl, ml, 0, 15, 0, levels, 0);
            }
            assertArrayEquals(expected, levels, "block " + block);
        }
    }

    /**
     * Any number of groups: a last set of lanes only partly filled (the rest search zeros) gives the
     * scalar results for the real groups, and nothing past them is written.
     */
    @Test
    void anyNumberOfGroupsFillsTheLastLanesWithoutWritingPastTheGroups() {
        Random random = new Random(11);
        GroupFits vector = VectorGroupFits.create();
        GroupFits scalar = new ScalarGroupFits();
        for (int groups = 1; groups <= 2 * vector.groupsAtOnce() + 3; groups++) {
            for (int kind = 0; kind < 3; kind++) {
                int n = kind == 0 ? 32 : 16;
                float[] x = block(random, (groups + 1) * n, n, groups + kind);
                float[] weights = new float[x.length];
                for (int i = 0; i < x.length; i++) {
                    weights[i] = 0.01f + Math.abs(x[i]);
                }
                byte[] expectedLevels = new byte[(groups + 1) * n];
                float[] expectedScales = new float[groups + 1];
                float[] expectedMins = new float[groups + 1];
                java.util.Arrays.fill(expectedLevels, (byte) 99);
                java.util.Arrays.fill(expectedScales, 7f);
                java.util.Arrays.fill(expectedMins, 7f);
                byte[] levels = expectedLevels.clone();
                float[] scales = expectedScales.clone();
                float[] mins = expectedMins.clone();
                for (GroupFits fits : new GroupFits[] {scalar, vector}) {
                    byte[] l = fits == scalar ? expectedLevels : levels;
                    float[] sc = fits == scalar ? expectedScales : scales;
                    float[] mn = fits == scalar ? expectedMins : mins;
                    switch (kind) {
                        case 0 -> fits.fit(groups, n, 15, x, 0, weights, l, 0, sc, mn, -1f, 0.1f, 20, false);
                        case 1 -> fits.symmetric(groups, n, 32, x, 0, l, 0, sc);
                        default -> fits.q3(groups, n, 4, x, 0, l, 0, sc);
                    }
                }
                String where = groups + " groups, search " + kind;
                assertArrayEquals(expectedLevels, levels, where);
                for (int g = 0; g <= groups; g++) {
                    assertEquals(Float.floatToRawIntBits(expectedScales[g]), Float.floatToRawIntBits(scales[g]), where + " scale of group " + g);
                    assertEquals(Float.floatToRawIntBits(expectedMins[g]), Float.floatToRawIntBits(mins[g]), where + " min of group " + g);
                }
                assertEquals(7f, scales[groups], where + ": a scale past the groups was written");
                assertEquals(99, levels[groups * n], where + ": a level past the groups was written");
            }
        }
    }

    /** Gaussian groups, and every few blocks groups shaped to take the search's other branches. */
    private static float[] block(Random random, int values, int n, int block) {
        float[] x = new float[values];
        float scale = (float) Math.pow(10, random.nextInt(9) - 6); // 1e-6 .. 1e2
        for (int i = 0; i < values; i++) {
            x[i] = (float) random.nextGaussian() * scale;
        }
        for (int g = 0; g < values / n; g++) {
            int at = g * n;
            switch ((block + g) % 11) {
                case 0 -> java.util.Arrays.fill(x, at, at + n, -0.25f); // all equal, negative: a flat group
                case 1 -> java.util.Arrays.fill(x, at, at + n, 0f); // all zero
                case 2 -> {
                    for (int i = at; i < at + n; i++) {
                        x[i] = Math.abs(x[i]) + 0.5f * scale; // all positive: the minimum is held at 0
                    }
                }
                case 3 -> x[at + random.nextInt(n)] = 50 * scale; // one outlier
                case 4 -> java.util.Arrays.fill(x, at, at + n, 3f); // all equal, positive
                case 5 -> {
                    for (int i = at; i < at + n; i++) {
                        x[i] = (random.nextInt(5) - 2) * scale; // few distinct values: ties between candidates
                    }
                }
                case 6 -> x[at] = -0.0f;
                case 7 -> x[at + 1] = -x[at]; // equal magnitudes of both signs: the first keeps the maximum
                default -> { }
            }
        }
        return x;
    }
}
