package orchestrate.llama;

import java.util.ArrayList;
import java.util.List;

/**
 * What the forward passes written in double (gpt-oss, Qwen3-MoE) share: greedy decoding with each
 * choice's margin, and the plain arithmetic they are written in.
 */
abstract class DoubleReference {

    /** The logits after the last token of {@code tokens}. */
    abstract double[] lastLogits(List<Integer> tokens);

    List<ReferenceForward.Step> greedy(List<Integer> prompt, int count) {
        List<Integer> tokens = new ArrayList<>(prompt);
        List<ReferenceForward.Step> steps = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            double[] logits = lastLogits(tokens);
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            double second = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < logits.length; i++) {
                if (i != best) {
                    second = Math.max(second, logits[i]);
                }
            }
            steps.add(new ReferenceForward.Step(best, (float) (logits[best] - second)));
            tokens.add(best);
        }
        return steps;
    }

    /** RMSNorm of x[from .. from + length) times weight. */
    static double[] norm(double[] x, float[] weight, int from, int length, double eps) {
        double squares = 0;
        for (int i = from; i < from + length; i++) {
            squares += x[i] * x[i];
        }
        double scale = 1 / Math.sqrt(squares / length + eps);
        double[] out = new double[length];
        for (int i = 0; i < length; i++) {
            out[i] = x[from + i] * scale * weight[i];
        }
        return out;
    }

    /** w x + bias for w stored [rows, columns]; bias may be null. */
    static double[] linear(float[] w, float[] bias, double[] x, int rows, int columns) {
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double sum = bias == null ? 0 : bias[r];
            for (int c = 0; c < columns; c++) {
                sum += w[r * columns + c] * x[c];
            }
            out[r] = sum;
        }
        return out;
    }

    static void add(double[] x, double[] delta) {
        for (int i = 0; i < x.length; i++) {
            x[i] += delta[i];
        }
    }
}
