package orchestrate.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Q8_0 in vectors writes the scalar blocks byte for byte: Gaussian blocks of every scale, exact halves, zeros, signed zeros, NaN and infinities. */
class VectorQ8_0Test {

    @Test
    void everyBlockIsTheScalarOne() {
        Random random = new Random(12);
        int blocks = 20_000;
        float[] x = new float[32 * blocks];
        for (int b = 0; b < blocks; b++) {
            float scale = (float) Math.pow(10, random.nextInt(13) - 8);
            for (int j = 0; j < 32; j++) {
                x[32 * b + j] = (float) random.nextGaussian() * scale;
            }
            int at = 32 * b;
            switch (b % 9) {
                case 0 -> Arrays.fill(x, at, at + 32, 0f);
                case 1 -> {
                    for (int j = 0; j < 32; j++) {
                        x[at + j] = (j - 15.5f) * 127f / 15.5f / 31f * (j % 3); // values landing on halves of d
                    }
                    x[at] = 127f;
                }
                case 2 -> x[at + random.nextInt(32)] = Float.NaN;
                case 3 -> x[at + random.nextInt(32)] = random.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
                case 4 -> x[at + random.nextInt(32)] = -0f;
                case 5 -> {
                    for (int j = 0; j < 32; j++) {
                        x[at + j] = (random.nextInt(255) - 127) * 0.5f; // many exact halves once scaled
                    }
                }
                default -> { }
            }
        }
        byte[] expected = new byte[34 * blocks];
        byte[] actual = new byte[34 * blocks];
        new Q8_0().quantize(x, 0, x.length, expected, 0);
        new VectorQ8_0().quantize(x, 0, x.length, actual, 0);
        for (int b = 0; b < blocks; b++) {
            assertArrayEquals(Arrays.copyOfRange(expected, 34 * b, 34 * b + 34), Arrays.copyOfRange(actual, 34 * b, 34 * b + 34), "block " + b);
        }
    }
}
