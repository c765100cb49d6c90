package orchestrate.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** C's roundf as the JDK's BigDecimal rounds halves up (away from zero): every half, its neighbours and random floats of every size. */
class RoundingTest {

    @Test
    void halvesGoAwayFromZeroLikeCsRoundf() {
        for (int k = -300; k <= 300; k++) {
            float half = k + 0.5f;
            for (float v : new float[] {half, Math.nextDown(half), Math.nextUp(half), k, Math.nextDown((float) k), Math.nextUp((float) k)}) {
                assertEquals(roundf(v), Rounding.halfAwayFromZero(v), "roundf(" + v + ")");
            }
        }
        Random random = new Random(3);
        for (int i = 0; i < 2_000_000; i++) {
            float v = Float.intBitsToFloat(random.nextInt());
            if (Float.isFinite(v) && Math.abs(v) < 2e9f) {
                assertEquals(roundf(v), Rounding.halfAwayFromZero(v), "roundf(" + v + ")");
            }
            float small = (float) (random.nextGaussian() * 200);
            assertEquals(roundf(small), Rounding.halfAwayFromZero(small), "roundf(" + small + ")");
        }
        for (float v : new float[] {0f, -0f, 0.49999997f, -0.49999997f, 4194303.5f, -4194303.5f, 4194304f, 8388607.5f, 1e9f}) {
            assertEquals(roundf(v), Rounding.halfAwayFromZero(v), "roundf(" + v + ")");
        }
    }

    private static int roundf(float v) {
        return new BigDecimal(v).setScale(0, RoundingMode.HALF_UP).intValueExact();
    }
}
