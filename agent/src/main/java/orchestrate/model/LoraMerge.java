package orchestrate.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import orchestrate.quant.Half;
import orchestrate.safetensors.CheckpointFiles;
import orchestrate.safetensors.DType;
import orchestrate.safetensors.SafetensorsException;
import orchestrate.safetensors.TensorEntry;

/**
 * A LoRA adapter applied to its base's rows as they are read, so merging needs no merged copy:
 * each changed row becomes W + scale * (B A) for that row, the product summed in double, the delta
 * rounded to float32 and added in float32, then rounded to W's dtype (round to nearest even) as a
 * merged checkpoint would store it. A modules_to_save tensor replaces the base's rows, rounded the
 * same way. Writing a merged checkpoint and merging while converting both go through here, which is
 * why they give the same files.
 */
public final class LoraMerge implements AutoCloseable {

    private final AdapterInspection adapter;
    private final Double override;
    private final RowReader rows;
    private String loaded;
    private float[] a;
    private float[] b;
    private double[] sums = new double[0];

    private LoraMerge(AdapterInspection adapter, Double override, Path directory) {
        this.adapter = adapter;
        this.override = override;
        this.rows = new RowReader(directory);
    }

    /**
     * @param directory where the adapter's files are read from; null when only its headers are known (a plan)
     * @param scale     the scale to merge with instead of the adapter's alpha / r, or null
     */
    public static LoraMerge open(CheckpointFiles files, Path directory, Map<String, TensorEntry> base, Double scale)
            throws IOException, SafetensorsException, ShapeException {
        AdapterInspection adapter = AdapterInspection.of(files, base);
        return new LoraMerge(adapter, scale, directory);
    }

    public AdapterInspection inspection() {
        return adapter;
    }

    /** The scale the recipe set, else the adapter's lora_alpha / r (an alpha_pattern target has its own). */
    public double scale() {
        return override != null ? override : adapter.scale();
    }

    /** Whether the base tensor of this name (as the base's language model names it) is changed or replaced. */
    public boolean changes(String baseTensor) {
        return adapter.pairs().containsKey(baseTensor) || adapter.wholes().containsKey(baseTensor);
    }

    /**
     * Merges one row of {@code base} in place: {@code values[offset..]} holds the base's row
     * {@code row} as floats and ends up holding the merged row.
     */
    public void apply(TensorEntry base, long row, float[] values, int offset) throws IOException {
        int length = Math.toIntExact(base.dim(base.rank() - 1));
        var whole = adapter.wholes().get(base.name());
        if (whole != null) {
            rows.read(whole, row, 1, values, offset);
        } else {
            addDelta(base.name(), row, values, offset, length);
        }
        DType dtype = base.dtype();
        for (int i = offset; i < offset + length; i++) {
            values[i] = rounded(values[i], dtype);
        }
    }

    /**
     * W[row] += scale * B[row] A, or with fan_in_fan_out (W stored in x out) W[row] += scale * (B A[:, row])ᵀ; for a
     * stacked parameter, the row of expert e's matrix, from that expert's factors (see {@link AdapterInspection.Pair}).
     */
    private void addDelta(String tensor, long row, float[] values, int offset, int length) throws IOException {
        load(tensor);
        AdapterInspection.Pair pair = adapter.pairs().get(tensor);
        int rank = pair.rank();
        double scale = override != null ? override : adapter.rsLora() ? pair.alpha() / Math.sqrt(rank) : pair.alpha() / rank;
        if (sums.length < length) {
            sums = new double[length];
        }
        java.util.Arrays.fill(sums, 0, length, 0);
        if (pair.experts() > 0) {
            stackedDelta(pair, row, length);
        } else if (!adapter.fanInFanOut()) {
            for (int k = 0; k < rank; k++) {
                double coefficient = b[(int) row * rank + k];
                int from = k * length;
                for (int j = 0; j < length; j++) {
                    sums[j] += coefficient * a[from + j];
                }
            }
        } else {
            int in = a.length / rank;
            for (int out = 0; out < length; out++) {
                double sum = 0;
                for (int k = 0; k < rank; k++) {
                    sum += (double) b[out * rank + k] * a[k * in + (int) row];
                }
                sums[out] = sum;
            }
        }
        for (int j = 0; j < length; j++) {
            values[offset + j] += (float) (scale * sums[j]);
        }
    }

    /** ΔW[e][x][y] = Σ_k B[y, k E + e] A[e r + k, x], or swapped Σ_k B[x, k E + e] A[e r + k, y], for row e * d1 + x. */
    private void stackedDelta(AdapterInspection.Pair pair, long row, int length) {
        int experts = pair.experts();
        int rank = pair.rank();
        int columnsB = rank * experts;
        int widthA = a.length / columnsB;
        int d1 = pair.swapped() ? b.length / columnsB : widthA;
        int e = (int) (row / d1);
        int x = (int) (row % d1);
        if (!pair.swapped()) {
            for (int y = 0; y < length; y++) {
                double sum = 0;
                for (int k = 0; k < rank; k++) {
                    sum += (double) b[y * columnsB + k * experts + e] * a[(e * rank + k) * widthA + x];
                }
                sums[y] = sum;
            }
        } else {
            for (int k = 0; k < rank; k++) {
                double coefficient = b[x * columnsB + k * experts + e];
                int from = (e * rank + k) * widthA;
                for (int y = 0; y < length; y++) {
                    sums[y] += coefficient * a[from + y];
                }
            }
        }
    }

    /** Holds the factors of one tensor at a time (r x in and out x r floats). */
    private void load(String tensor) throws IOException {
        if (tensor.equals(loaded)) {
            return;
        }
        AdapterInspection.Pair pair = adapter.pairs().get(tensor);
        a = whole(pair.a());
        b = whole(pair.b());
        loaded = tensor;
    }

    private float[] whole(orchestrate.safetensors.StoredTensor tensor) throws IOException {
        TensorEntry entry = tensor.entry();
        float[] values = new float[Math.toIntExact(entry.elements())];
        rows.read(tensor, 0, Math.toIntExact(entry.dim(0)), values, 0);
        return values;
    }

    /** The value a tensor of {@code dtype} stores for {@code value}: round to nearest, ties to even. */
    static float rounded(float value, DType dtype) {
        return switch (dtype) {
            case BF16 -> Half.fromBf16(Half.toBf16(value));
            case F16 -> Half.toFloat(Half.fromFloat(value));
            default -> value;
        };
    }

    @Override
    public void close() throws IOException {
        rows.close();
    }
}
