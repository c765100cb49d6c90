package orchestrate.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import orchestrate.quant.Half;
import orchestrate.safetensors.Checkpoint;
import orchestrate.safetensors.DirectoryFiles;
import orchestrate.safetensors.StoredTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The tiny phi3 model's forward pass, written from the architecture (Hugging Face's Phi3 modelling),
 * on the checkpoint's own bf16 weights in float: RMSNorm, fused QKV, rotary embedding on rotated
 * halves (NEOX), causal grouped-query attention, SwiGLU from the fused gate_up, untied output head.
 * A llama checkpoint (separate q/k/v and gate/up) is the same function once its parts are stacked:
 * Hugging Face's llama rotates halves too, which is why llama.cpp's file needs the Q/K row permutation.
 * The oracle for llama.cpp running our GGUF.
 */
final class ReferenceForward {

    /** One generated token and how clearly it won: its logit minus the runner-up's. */
    record Step(int token, float margin) {}

    private final Map<String, float[]> weights = new HashMap<>();
    private final int hidden;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int ff;
    private final int vocab;
    private final float eps;
    private final double theta;

    ReferenceForward(Path model) throws Exception {
        JsonNode config = new ObjectMapper().readTree(model.resolve("config.json").toFile());
        hidden = config.get("hidden_size").asInt();
        layers = config.get("num_hidden_layers").asInt();
        heads = config.get("num_attention_heads").asInt();
        kvHeads = config.get("num_key_value_heads").asInt();
        headDim = hidden / heads;
        ff = config.get("intermediate_size").asInt();
        vocab = config.get("vocab_size").asInt();
        eps = (float) config.get("rms_norm_eps").asDouble();
        theta = config.get("rope_theta").asDouble();
        for (StoredTensor t : Checkpoint.open(new DirectoryFiles(model)).tensors().values()) {
            weights.put(t.entry().name(), floats(model, t));
        }
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            stack(p + "self_attn.qkv_proj.weight", p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight");
            stack(p + "mlp.gate_up_proj.weight", p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight");
        }
    }

    /** A bf16 tensor of the checkpoint, in float. */
    static float[] floats(Path model, StoredTensor t) throws java.io.IOException {
        ByteBuffer bytes = ByteBuffer.allocate((int) t.entry().bytes()).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel channel = FileChannel.open(model.resolve(t.file()))) {
            channel.read(bytes, t.offset());
        }
        bytes.flip();
        float[] values = new float[(int) t.entry().elements()];
        for (int i = 0; i < values.length; i++) {
            values[i] = Half.fromBf16(bytes.getShort());
        }
        return values;
    }

    /** Stacks separate projections' rows into the fused matrix the forward pass reads (a fused checkpoint has it already). */
    private void stack(String fused, String... parts) {
        if (weights.containsKey(fused)) {
            return;
        }
        int length = 0;
        for (String part : parts) {
            length += weights.get(part).length;
        }
        float[] rows = new float[length];
        int at = 0;
        for (String part : parts) {
            float[] values = weights.remove(part);
            System.arraycopy(values, 0, rows, at, values.length);
            at += values.length;
        }
        weights.put(fused, rows);
    }

    /** Greedy continuation of {@code prompt} by {@code count} tokens. */
    List<Step> greedy(List<Integer> prompt, int count) {
        List<Integer> tokens = new ArrayList<>(prompt);
        List<Step> steps = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            float[] logits = lastLogits(tokens);
            int best = 0;
            for (int i = 1; i < vocab; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            float second = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < vocab; i++) {
                if (i != best && logits[i] > second) {
                    second = logits[i];
                }
            }
            steps.add(new Step(best, logits[best] - second));
            tokens.add(best);
        }
        return steps;
    }

    private float[] lastLogits(List<Integer> tokens) {
        int length = tokens.size();
        float[][] x = new float[length][];
        for (int t = 0; t < length; t++) {
            x[t] = row(weights.get("model.embed_tokens.weight"), tokens.get(t), hidden);
        }
        int qkvRows = (heads + 2 * kvHeads) * headDim;
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            float[][] q = new float[length][];
            float[][] k = new float[length][];
            float[][] v = new float[length][];
            for (int t = 0; t < length; t++) {
                float[] qkv = matmul(weights.get(p + "self_attn.qkv_proj.weight"), rmsNorm(x[t], weights.get(p + "input_layernorm.weight")), qkvRows, hidden);
                q[t] = java.util.Arrays.copyOfRange(qkv, 0, heads * headDim);
                k[t] = java.util.Arrays.copyOfRange(qkv, heads * headDim, (heads + kvHeads) * headDim);
                v[t] = java.util.Arrays.copyOfRange(qkv, (heads + kvHeads) * headDim, qkvRows);
                rope(q[t], heads, t);
                rope(k[t], kvHeads, t);
            }
            for (int t = 0; t < length; t++) {
                float[] attended = new float[heads * headDim];
                for (int h = 0; h < heads; h++) {
                    int kvh = h / (heads / kvHeads);
                    float[] scores = new float[t + 1];
                    float max = Float.NEGATIVE_INFINITY;
                    for (int s = 0; s <= t; s++) {
                        float dot = 0;
                        for (int d = 0; d < headDim; d++) {
                            dot += q[t][h * headDim + d] * k[s][kvh * headDim + d];
                        }
                        scores[s] = dot / (float) Math.sqrt(headDim);
                        max = Math.max(max, scores[s]);
                    }
                    float sum = 0;
                    for (int s = 0; s <= t; s++) {
                        scores[s] = (float) Math.exp(scores[s] - max);
                        sum += scores[s];
                    }
                    for (int s = 0; s <= t; s++) {
                        for (int d = 0; d < headDim; d++) {
                            attended[h * headDim + d] += scores[s] / sum * v[s][kvh * headDim + d];
                        }
                    }
                }
                add(x[t], matmul(weights.get(p + "self_attn.o_proj.weight"), attended, hidden, heads * headDim));
                float[] gateUp = matmul(weights.get(p + "mlp.gate_up_proj.weight"), rmsNorm(x[t], weights.get(p + "post_attention_layernorm.weight")), 2 * ff, hidden);
                float[] act = new float[ff];
                for (int i = 0; i < ff; i++) {
                    float gate = gateUp[i];
                    act[i] = gate / (1 + (float) Math.exp(-gate)) * gateUp[ff + i];
                }
                add(x[t], matmul(weights.get(p + "mlp.down_proj.weight"), act, hidden, ff));
            }
        }
        float[] last = rmsNorm(x[length - 1], weights.get("model.norm.weight"));
        return matmul(weights.get("lm_head.weight"), last, vocab, hidden);
    }

    /** Rotary embedding on rotated halves: within each head, pair i with i + headDim/2. */
    private void rope(float[] vector, int headCount, int position) {
        int half = headDim / 2;
        for (int h = 0; h < headCount; h++) {
            for (int i = 0; i < half; i++) {
                double angle = position * Math.pow(theta, -2.0 * i / headDim);
                float cos = (float) Math.cos(angle);
                float sin = (float) Math.sin(angle);
                int a = h * headDim + i;
                int b = a + half;
                float x0 = vector[a];
                float x1 = vector[b];
                vector[a] = x0 * cos - x1 * sin;
                vector[b] = x0 * sin + x1 * cos;
            }
        }
    }

    private float[] rmsNorm(float[] x, float[] weight) {
        double sum = 0;
        for (float value : x) {
            sum += value * value;
        }
        float scale = (float) (1 / Math.sqrt(sum / x.length + eps));
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * scale * weight[i];
        }
        return out;
    }

    private static float[] matmul(float[] w, float[] x, int rows, int columns) {
        float[] out = new float[rows];
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int c = 0; c < columns; c++) {
                sum += w[r * columns + c] * x[c];
            }
            out[r] = (float) sum;
        }
        return out;
    }

    private static float[] row(float[] matrix, int row, int width) {
        return java.util.Arrays.copyOfRange(matrix, row * width, (row + 1) * width);
    }

    private static void add(float[] x, float[] delta) {
        for (int i = 0; i < x.length; i++) {
            x[i] += delta[i];
        }
    }
}
