package orchestrate.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufFile;
import orchestrate.gguf.GgufTensorInfo;
import orchestrate.model.GgufMapping;
import orchestrate.quant.BlockCodec;
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
 * Qwen2 adds biases to q, k and v; Gemma 3 has norms of 1 + w, a scaled embedding, norms after
 * attention and the MLP, GELU-tanh and sliding-window layers; Qwen3 adds the per-head RMSNorm of queries and keys before the rotation; Llama 3.1+ scales the
 * rotary frequencies; a tied model's output head is its embedding.
 * The oracle for llama.cpp running our GGUF.
 */
final class ReferenceForward {

    /** One generated token and how clearly it won: its logit minus the runner-up's. */
    record Step(int token, float margin) {}

    private final Map<String, float[]> weights = new HashMap<>();
    private final Map<String, GgmlType> types = new HashMap<>();
    private final int eos;
    private final int hidden;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int ff;
    private final int vocab;
    private final float eps;
    private final double theta;
    private final double[] inverseFrequencies;
    private final double attentionFactor;
    /** Gemma 3: norms of 1 + w, a scaled embedding, GELU-tanh, norms after attention and MLP, sliding-window layers. */
    private final boolean gemma;
    private final double[] localInverseFrequencies;
    private final int slidingWindow;
    private final float queryScale;

    /** The forward pass on a checkpoint's own bf16 weights. */
    ReferenceForward(Path model) throws Exception {
        this(new ObjectMapper().readTree(model.resolve("config.json").toFile()), checkpointWeights(model));
    }

    /**
     * The forward pass on the weights a phi3 GGUF holds, decoded by our own dequantizers: what
     * llama.cpp should compute from the file if our blocks mean what we think they mean.
     */
    static ReferenceForward fromGguf(Path gguf, Path config) throws Exception {
        JsonNode json = new ObjectMapper().readTree(config.toFile());
        GgufFile file = GgufFile.read(gguf);
        Map<String, float[]> weights = new HashMap<>();
        for (GgufMapping.TensorName name : GgufMapping.forArchitecture("phi3").tensors(json.get("num_hidden_layers").asInt())) {
            GgufTensorInfo info = file.tensor(name.gguf());
            if (info != null) {
                float[] values = new float[(int) info.elements()];
                BlockCodec.of(info.type()).dequantize(file.data(info), 0, values.length, values, 0);
                weights.put(name.hf(), values);
            }
        }
        ReferenceForward forward = new ReferenceForward(json, weights);
        for (GgufMapping.TensorName name : GgufMapping.forArchitecture("phi3").tensors(json.get("num_hidden_layers").asInt())) {
            if (file.tensor(name.gguf()) != null) {
                forward.types.put(name.hf(), file.tensor(name.gguf()).type());
            }
        }
        return forward;
    }

    private ReferenceForward(JsonNode config, Map<String, float[]> weights) {
        hidden = config.get("hidden_size").asInt();
        layers = config.get("num_hidden_layers").asInt();
        heads = config.get("num_attention_heads").asInt();
        kvHeads = config.get("num_key_value_heads").asInt();
        headDim = config.has("head_dim") ? config.get("head_dim").asInt() : hidden / heads;
        ff = config.get("intermediate_size").asInt();
        vocab = config.get("vocab_size").asInt();
        eps = (float) config.get("rms_norm_eps").asDouble();
        theta = config.get("rope_theta").asDouble();
        eos = config.path("eos_token_id").asInt(-1);
        inverseFrequencies = inverseFrequencies(config, theta, headDim);
        attentionFactor = attentionFactor(config);
        gemma = config.path("model_type").asText().startsWith("gemma3");
        localInverseFrequencies = inverseFrequencies(JsonNodeFactory.instance.objectNode(), config.path("rope_local_base_freq").asDouble(theta), headDim);
        slidingWindow = gemma ? config.path("sliding_window").asInt() : Integer.MAX_VALUE;
        queryScale = (float) (1 / Math.sqrt(gemma ? config.path("query_pre_attn_scalar").asDouble(headDim) : headDim));
        this.weights.putAll(weights);
        if (gemma) {
            // Gemma3RMSNorm: x / rms(x) * (1 + w)
            for (Map.Entry<String, float[]> weight : this.weights.entrySet()) {
                if (weight.getKey().endsWith("norm.weight")) {
                    float[] scale = weight.getValue().clone();
                    for (int i = 0; i < scale.length; i++) {
                        scale[i] += 1;
                    }
                    weight.setValue(scale);
                }
            }
        }
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            stack(p + "self_attn.qkv_proj.weight", p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight");
            if (this.weights.containsKey(p + "self_attn.q_proj.bias")) {
                stack(p + "self_attn.qkv_proj.bias", p + "self_attn.q_proj.bias", p + "self_attn.k_proj.bias", p + "self_attn.v_proj.bias");
            }
            stack(p + "mlp.gate_up_proj.weight", p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight");
        }
    }

    private static Map<String, float[]> checkpointWeights(Path model) throws Exception {
        Map<String, float[]> weights = new HashMap<>();
        for (StoredTensor t : Checkpoint.open(new DirectoryFiles(model)).tensors().values()) {
            weights.put(t.entry().name(), floats(model, t));
        }
        return weights;
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
            if (best == eos) {
                break; // llama.cpp stops at the end of text too
            }
            tokens.add(best);
        }
        return steps;
    }

    private float[] lastLogits(List<Integer> tokens) {
        float[][] all = logits(tokens, tokens.size() - 1);
        return all[all.length - 1];
    }

    /** The logits after each position from {@code from} on (teacher forcing: one pass over the whole text). */
    float[][] logits(List<Integer> tokens, int from) {
        int length = tokens.size();
        float[][] x = new float[length][];
        for (int t = 0; t < length; t++) {
            x[t] = row(weights.get("model.embed_tokens.weight"), tokens.get(t), hidden);
            if (gemma) {
                float normalizer = (float) Math.sqrt(hidden);
                for (int i = 0; i < hidden; i++) {
                    x[t][i] *= normalizer;
                }
            }
        }
        int qkvRows = (heads + 2 * kvHeads) * headDim;
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            boolean sliding = gemma && (l + 1) % 6 != 0; // Gemma 3: every sixth layer global
            double[] frequencies = sliding ? localInverseFrequencies : inverseFrequencies;
            float[][] q = new float[length][];
            float[][] k = new float[length][];
            float[][] v = new float[length][];
            for (int t = 0; t < length; t++) {
                float[] qkv = matmul(p + "self_attn.qkv_proj.weight", rmsNorm(x[t], weights.get(p + "input_layernorm.weight")), qkvRows, hidden);
                if (weights.containsKey(p + "self_attn.qkv_proj.bias")) {
                    add(qkv, weights.get(p + "self_attn.qkv_proj.bias")); // Qwen2's q/k/v biases
                }
                q[t] = java.util.Arrays.copyOfRange(qkv, 0, heads * headDim);
                k[t] = java.util.Arrays.copyOfRange(qkv, heads * headDim, (heads + kvHeads) * headDim);
                v[t] = java.util.Arrays.copyOfRange(qkv, (heads + kvHeads) * headDim, qkvRows);
                if (weights.containsKey(p + "self_attn.q_norm.weight")) {
                    // Qwen3: each head's query and key RMS-normalised over head_dim, before the rotary embedding
                    headNorm(q[t], heads, weights.get(p + "self_attn.q_norm.weight"));
                    headNorm(k[t], kvHeads, weights.get(p + "self_attn.k_norm.weight"));
                }
                rope(q[t], heads, t, frequencies);
                rope(k[t], kvHeads, t, frequencies);
            }
            for (int t = 0; t < length; t++) {
                float[] attended = new float[heads * headDim];
                for (int h = 0; h < heads; h++) {
                    int kvh = h / (heads / kvHeads);
                    float[] scores = new float[t + 1];
                    float max = Float.NEGATIVE_INFINITY;
                    for (int s = 0; s <= t; s++) {
                        if (sliding && t - s >= slidingWindow) {
                            scores[s] = Float.NEGATIVE_INFINITY;
                            continue;
                        }
                        float dot = 0;
                        for (int d = 0; d < headDim; d++) {
                            dot += q[t][h * headDim + d] * k[s][kvh * headDim + d];
                        }
                        scores[s] = dot * queryScale;
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
                float[] out = matmul(p + "self_attn.o_proj.weight", attended, hidden, heads * headDim);
                if (gemma) {
                    add(x[t], rmsNorm(out, weights.get(p + "post_attention_layernorm.weight")));
                    float[] gateUp = matmul(p + "mlp.gate_up_proj.weight", rmsNorm(x[t], weights.get(p + "pre_feedforward_layernorm.weight")), 2 * ff, hidden);
                    float[] act = new float[ff];
                    for (int i = 0; i < ff; i++) {
                        act[i] = geluTanh(gateUp[i]) * gateUp[ff + i];
                    }
                    add(x[t], rmsNorm(matmul(p + "mlp.down_proj.weight", act, hidden, ff), weights.get(p + "post_feedforward_layernorm.weight")));
                    continue;
                }
                add(x[t], out);
                float[] gateUp = matmul(p + "mlp.gate_up_proj.weight", rmsNorm(x[t], weights.get(p + "post_attention_layernorm.weight")), 2 * ff, hidden);
                float[] act = new float[ff];
                for (int i = 0; i < ff; i++) {
                    float gate = gateUp[i];
                    act[i] = gate / (1 + (float) Math.exp(-gate)) * gateUp[ff + i];
                }
                add(x[t], matmul(p + "mlp.down_proj.weight", act, hidden, ff));
            }
        }
        float[][] logits = new float[length - from][];
        for (int t = from; t < length; t++) {
            // Tied embeddings (no lm_head): the embedding is the output head too
            String head = weights.containsKey("lm_head.weight") ? "lm_head.weight" : "model.embed_tokens.weight";
            logits[t - from] = matmul(head, rmsNorm(x[t], weights.get("model.norm.weight")), vocab, hidden);
        }
        return logits;
    }

    /**
     * Each rotated pair's frequency, theta^(-2i/d), with Llama 3's scaling as Hugging Face's
     * _compute_llama3_parameters applies it when config.json asks (rope_type llama3): frequencies whose
     * wavelength exceeds original/low_freq_factor divided by factor, those under original/high_freq_factor
     * kept, those between interpolated.
     */
    private static double[] inverseFrequencies(JsonNode config, double theta, int headDim) {
        JsonNode scaling = config.path("rope_scaling");
        if (scaling.path("type").asText(scaling.path("rope_type").asText("")).equals("longrope")) {
            // Phi-3.5 / Phi-4-mini: below original_max_position_embeddings every pair's frequency is divided by its short factor
            int rotary = rotaryDimensions(config, headDim);
            double[] frequencies = new double[rotary / 2];
            for (int i = 0; i < frequencies.length; i++) {
                frequencies[i] = 1 / (scaling.path("short_factor").get(i).asDouble() * Math.pow(theta, 2.0 * i / rotary));
            }
            return frequencies;
        }
        boolean llama3 = scaling.path("rope_type").asText("").equals("llama3");
        double factor = scaling.path("factor").asDouble();
        double low = scaling.path("low_freq_factor").asDouble();
        double high = scaling.path("high_freq_factor").asDouble();
        double original = scaling.path("original_max_position_embeddings").asDouble();
        int rotary = rotaryDimensions(config, headDim);
        double[] frequencies = new double[rotary / 2];
        for (int i = 0; i < frequencies.length; i++) {
            double frequency = Math.pow(theta, -2.0 * i / rotary);
            if (scaling.path("rope_type").asText("").equals("linear")) {
                frequency /= scaling.path("factor").asDouble(); // Gemma 3's global layers at 4B and up
            }
            if (llama3) {
                double wavelength = 2 * Math.PI / frequency;
                if (wavelength > original / low) {
                    frequency /= factor;
                } else if (wavelength >= original / high) {
                    double smooth = (original / wavelength - low) / (high - low);
                    frequency = (1 - smooth) * frequency / factor + smooth * frequency;
                }
            }
            frequencies[i] = frequency;
        }
        return frequencies;
    }

    /** How many of a head's dimensions are rotated: all, or partial_rotary_factor of them (Phi-4-mini: 0.75). */
    private static int rotaryDimensions(JsonNode config, int headDim) {
        return (int) (headDim * config.path("partial_rotary_factor").asDouble(1.0));
    }

    /** Longrope's scale of cos and sin when the context was stretched: sqrt(1 + ln(scale) / ln(original)). */
    private static double attentionFactor(JsonNode config) {
        if (!config.path("rope_scaling").path("type").asText("").equals("longrope")) {
            return 1;
        }
        double original = config.path("original_max_position_embeddings").asDouble();
        double scale = config.path("max_position_embeddings").asDouble() / original;
        return scale > 1 ? Math.sqrt(1 + Math.log(scale) / Math.log(original)) : 1;
    }

    /** Hugging Face's gelu_pytorch_tanh. */
    private static float geluTanh(float x) {
        return (float) (0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))));
    }

    /** Rotary embedding on rotated halves: within each head, pair i with i + headDim/2. */
    private void rope(float[] vector, int headCount, int position, double[] inverseFrequencies) {
        int half = inverseFrequencies.length; // a partial rotation pairs i with i + half within the first 2 * half dimensions
        for (int h = 0; h < headCount; h++) {
            for (int i = 0; i < half; i++) {
                double angle = position * inverseFrequencies[i];
                float cos = (float) (Math.cos(angle) * attentionFactor);
                float sin = (float) (Math.sin(angle) * attentionFactor);
                int a = h * headDim + i;
                int b = a + half;
                float x0 = vector[a];
                float x1 = vector[b];
                vector[a] = x0 * cos - x1 * sin;
                vector[b] = x0 * sin + x1 * cos;
            }
        }
    }

    /** RMSNorm of each head's slice of {@code vector} with the head_dim-wide {@code weight}. */
    private void headNorm(float[] vector, int headCount, float[] weight) {
        for (int h = 0; h < headCount; h++) {
            float[] normed = rmsNorm(java.util.Arrays.copyOfRange(vector, h * headDim, (h + 1) * headDim), weight);
            System.arraycopy(normed, 0, vector, h * headDim, headDim);
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

    /**
     * W x. For a quantized weight, x is first rounded the way llama.cpp's CPU kernels round it: they
     * take dot products of the weight's blocks with x quantized to 8 bits (Q8_K per 256 values for
     * K-quants, Q8_0 per 32 with an F16 scale for the others); an F16 or BF16 weight meets x rounded
     * to its own type.
     */
    private float[] matmul(String weight, float[] x, int rows, int columns) {
        GgmlType type = types.getOrDefault(weight, GgmlType.F32);
        float[] input = switch (type) {
            case F32 -> x;
            case F16, BF16 -> roundTrip(type, x);
            case Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> q8K(x);
            default -> roundTrip(GgmlType.Q8_0, x);
        };
        return matmul(weights.get(weight), input, rows, columns);
    }

    private static float[] roundTrip(GgmlType type, float[] x) {
        BlockCodec codec = BlockCodec.of(type);
        byte[] blocks = new byte[(int) type.bytesFor(x.length)];
        codec.quantize(x, 0, x.length, blocks, 0);
        float[] back = new float[x.length];
        codec.dequantize(blocks, 0, x.length, back, 0);
        return back;
    }

    /** ggml's quantize_row_q8_K: per 256 values, iscale = -127 / (value of largest magnitude), a float scale, no F16 rounding. */
    private static float[] q8K(float[] x) {
        float[] out = new float[x.length];
        for (int b = 0; b < x.length; b += 256) {
            float max = 0;
            float amax = 0;
            for (int j = b; j < b + 256; j++) {
                if (Math.abs(x[j]) > amax) {
                    amax = Math.abs(x[j]);
                    max = x[j];
                }
            }
            if (amax == 0) {
                continue;
            }
            float iscale = -127f / max;
            float d = 1 / iscale;
            for (int j = b; j < b + 256; j++) {
                out[j] = d * Math.min(127, (int) Math.rint(iscale * x[j]));
            }
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
