package orchestrate.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Half precision checked against the format's own definition, on every one of its 65,536 values. */
class HalfTest {

    @Test
    void everyHalfValueSurvivesTheTripThroughFloat() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short half = (short) bits;
            float value = Half.toFloat(half);
            if (Float.isNaN(value)) {
                assertTrue((bits & 0x7C00) == 0x7C00 && (bits & 0x3FF) != 0, "only NaN patterns read as NaN: " + bits);
                assertTrue(Float.isNaN(Half.toFloat(Half.fromFloat(value))));
            } else {
                assertEquals(bits, Half.fromFloat(value) & 0xFFFF, "half " + Integer.toHexString(bits) + " = " + value);
            }
        }
    }

    @Test
    void halfwayBetweenNeighboursRoundsToTheEvenOne() {
        // Every pair of adjacent finite halves, positive and negative: the midpoint is exact in float.
        for (int sign : new int[] {0, 0x8000}) {
            for (int bits = 0; bits < 0x7BFF; bits++) {
                float low = Half.toFloat((short) (sign | bits));
                float high = Half.toFloat((short) (sign | (bits + 1)));
                float middle = (low + high) / 2;
                int even = (bits & 1) == 0 ? bits : bits + 1;
                assertEquals(sign | even, Half.fromFloat(middle) & 0xFFFF, "tie between " + low + " and " + high);
                assertEquals(sign | bits, Half.fromFloat(Math.nextAfter(middle, low)) & 0xFFFF);
                assertEquals(sign | (bits + 1), Half.fromFloat(Math.nextAfter(middle, high)) & 0xFFFF);
            }
        }
    }

    @Test
    void theEdgesOfTheRange() {
        assertEquals(0x7BFF, Half.fromFloat(65504f) & 0xFFFF, "largest finite half");
        assertEquals(0x7BFF, Half.fromFloat(65519.996f) & 0xFFFF, "just below the tie with infinity");
        assertEquals(0x7C00, Half.fromFloat(65520f) & 0xFFFF, "the tie rounds to even, which is infinity");
        assertEquals(0x7C00, Half.fromFloat(1e10f) & 0xFFFF);
        assertEquals(0xFC00, Half.fromFloat(Float.NEGATIVE_INFINITY) & 0xFFFF);
        assertEquals(0x0001, Half.fromFloat(0x1p-24f) & 0xFFFF, "smallest subnormal");
        assertEquals(0x0000, Half.fromFloat(0x1p-25f) & 0xFFFF, "half of it ties to even: zero");
        assertEquals(0x0001, Half.fromFloat(Math.nextUp(0x1p-25f)) & 0xFFFF);
        assertEquals(0x8000, Half.fromFloat(-1e-30f) & 0xFFFF, "tiny negatives keep their sign");
        assertEquals(0x0400, Half.fromFloat(0x1p-14f) & 0xFFFF, "smallest normal");
        assertEquals(0x03FF, Half.fromFloat(Half.toFloat((short) 0x03FF)) & 0xFFFF, "largest subnormal");
        assertEquals(1.0f, Half.fromBf16((short) 0x3F80));
        assertEquals(-2.0f, Half.fromBf16((short) 0xC000));
    }
}
