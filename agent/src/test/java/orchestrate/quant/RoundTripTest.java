package orchestrate.quant;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import orchestrate.gguf.GgmlType;
import org.junit.jupiter.api.Test;

/**
 * Quantize then dequantize, on rows shaped like real weights. The bound: a uniform grid of 2^b
 * levels spanning [-amax, amax] of a block errs by at most half a step, amax / (2^b - 1), on any
 * value. Every format here is at least that fine for each block (symmetric scales come from the
 * block's own largest value; K-quant groups fit a scale to a narrower range), and each search only
 * keeps a grid that fits better. So a block's RMSE stays within it; the F16 and 6-bit scale
 * roundings cost far less than the gap between a worst-case and an RMS error.
 */
class RoundTripTest {

    record Format(GgmlType type, int bits) {}

    static final List<Format> FROM_BEST = List.of(new Format(GgmlType.Q8_0, 8), new Format(GgmlType.Q6_K, 6), new Format(GgmlType.Q5_K, 5),
            new Format(GgmlType.Q5_1, 5), new Format(GgmlType.Q5_0, 5), new Format(GgmlType.Q4_K, 4), new Format(GgmlType.Q4_0, 4),
            new Format(GgmlType.Q3_K, 3), new Format(GgmlType.Q2_K, 2));

    static float[] row(String distribution, int n, long seed) {
        Random random = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double value = switch (distribution) {
                case "gaussian" -> random.nextGaussian();
                case "laplacian" -> -Math.log(1 - random.nextDouble()) * (random.nextBoolean() ? 1 : -1);
                default -> random.nextGaussian() * (random.nextInt(100) == 0 ? 30 : 1); // one value in a hundred is huge
            };
            x[i] = Half.fromBf16(Half.toBf16((float) value * 0.02f)); // checkpoints hold bf16
        }
        return x;
    }

    @Test
    void everyBlockStaysWithinHalfAStepOfItsGridAndTheTypesRankByBits() {
        int n = 256 * 2048;
        for (String distribution : List.of("gaussian", "laplacian", "outliers")) {
            float[] x = row(distribution, n, distribution.hashCode());
            double signal = 0;
            for (float v : x) {
                signal += (double) v * v;
            }
            Map<GgmlType, Double> relative = new EnumMap<>(GgmlType.class);
            for (Format format : FROM_BEST) {
                BlockCodec codec = BlockCodec.of(format.type());
                byte[] blocks = new byte[(int) format.type().bytesFor(n)];
                codec.quantize(x, 0, n, blocks, 0);
                float[] back = new float[n];
                codec.dequantize(blocks, 0, n, back, 0);
                double total = 0;
                int size = format.type().blockSize();
                for (int b = 0; b < n; b += size) {
                    double error = 0;
                    float amax = 0;
                    for (int i = b; i < b + size; i++) {
                        error += (double) (back[i] - x[i]) * (back[i] - x[i]);
                        amax = Math.max(amax, Math.abs(x[i]));
                    }
                    total += error;
                    double rmse = Math.sqrt(error / size);
                    double bound = amax / ((1 << format.bits()) - 1.0);
                    assertTrue(rmse <= bound, format.type() + " " + distribution + " block " + b / size + ": RMSE " + rmse + " > " + bound);
                }
                relative.put(format.type(), Math.sqrt(total / signal));
            }
            // Within each family fewer bits never give a smaller error. Across families no order holds:
            // on outlier-heavy rows Q3_K's 16-value groups beat Q4_0, whose one scale per 32 the outlier sets.
            for (List<GgmlType> family : List.of(List.of(GgmlType.Q8_0, GgmlType.Q6_K, GgmlType.Q5_K, GgmlType.Q4_K, GgmlType.Q3_K, GgmlType.Q2_K),
                    List.of(GgmlType.Q8_0, GgmlType.Q5_1, GgmlType.Q5_0, GgmlType.Q4_0), List.of(GgmlType.Q5_K, GgmlType.Q5_1), List.of(GgmlType.Q4_K, GgmlType.Q4_0))) {
                for (int i = 1; i < family.size(); i++) {
                    double better = relative.get(family.get(i - 1));
                    double worse = relative.get(family.get(i));
                    assertTrue(worse > better, distribution + ": " + family.get(i) + " (" + worse + ") is not worse than " + family.get(i - 1) + " (" + better + ")");
                }
            }
        }
    }
}
