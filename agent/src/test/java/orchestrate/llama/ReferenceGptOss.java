package orchestrate.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import orchestrate.testing.ReferenceMerge;

/**
 * gpt-oss's forward pass, written from Hugging Face's modelling (models/gpt_oss) on the checkpoint's
 * own bf16 weights, in double: RMSNorm; attention with q/k/v/o biases, rotary embedding on rotated
 * halves with YaRN (frequencies blended between interpolated and extrapolated by the ramp between the
 * correction dims, unrounded as truncate: false asks; cos and sin scaled by 0.1 ln(factor) + 1),
 * grouped-query heads, a per-head sink logit in the softmax's denominator, sliding-window layers
 * where config.json's layer_types say; the router's top-k by logit, weighted by a softmax over the k
 * chosen logits; each expert's gate_up with its bias, gate the even columns and up the odd ones,
 * gate clamped above at the limit, up clamped both ways, (up + 1) * gate * sigmoid(1.702 gate),
 * then down with its bias; the untied output head. The oracle for llama.cpp running our gpt-oss GGUF.
 */
final class ReferenceGptOss extends DoubleReference {

    private static final double ALPHA = 1.702;

    private final Map<String, float[]> weights = new HashMap<>();
    private final int hidden;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int experts;
    private final int used;
    private final int ff;
    private final int vocab;
    private final double eps;
    private final double limit;
    private final int window;
    private final boolean[] sliding;
    private final double[] inverseFrequencies;
    private final double ropeScale;

    ReferenceGptOss(Path model) throws Exception {
        JsonNode config = new ObjectMapper().readTree(model.resolve("config.json").toFile());
        hidden = config.get("hidden_size").asInt();
        layers = config.get("num_hidden_layers").asInt();
        heads = config.get("num_attention_heads").asInt();
        kvHeads = config.get("num_key_value_heads").asInt();
        headDim = config.get("head_dim").asInt();
        experts = config.get("num_local_experts").asInt();
        used = config.get("num_experts_per_tok").asInt();
        ff = config.get("intermediate_size").asInt();
        vocab = config.get("vocab_size").asInt();
        eps = config.get("rms_norm_eps").asDouble();
        limit = config.path("swiglu_limit").asDouble(7.0);
        window = config.get("sliding_window").asInt();
        sliding = new boolean[layers];
        for (int l = 0; l < layers; l++) {
            sliding[l] = config.path("layer_types").path(l).asText().equals("sliding_attention");
        }
        double base = config.get("rope_theta").asDouble();
        JsonNode yarn = config.path("rope_scaling");
        double factor = yarn.path("factor").asDouble(1);
        double original = yarn.path("original_max_position_embeddings").asDouble();
        double low = correctionDim(yarn.path("beta_fast").asDouble(32), base, original);
        double high = correctionDim(yarn.path("beta_slow").asDouble(1), base, original);
        if (yarn.path("truncate").asBoolean(true)) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, headDim - 1);
        if (low == high) {
            high += 0.001;
        }
        inverseFrequencies = new double[headDim / 2];
        for (int i = 0; i < headDim / 2; i++) {
            double extrapolated = 1 / Math.pow(base, 2.0 * i / headDim);
            double interpolated = extrapolated / factor;
            double ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
            double extrapolation = 1 - ramp;
            inverseFrequencies[i] = interpolated * (1 - extrapolation) + extrapolated * extrapolation;
        }
        ropeScale = factor > 1 ? 0.1 * Math.log(factor) + 1 : 1;
        Map<String, ReferenceMerge.Located> tensors = ReferenceMerge.tensors(model);
        for (Map.Entry<String, ReferenceMerge.Located> tensor : tensors.entrySet()) {
            weights.put(tensor.getKey(), ReferenceMerge.read(tensor.getValue()));
        }
    }

    private double correctionDim(double rotations, double base, double original) {
        return headDim * Math.log(original / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
    }

    @Override
    double[] lastLogits(List<Integer> tokens) {
        int length = tokens.size();
        double[][] x = new double[length][];
        float[] embedding = weights.get("model.embed_tokens.weight");
        for (int t = 0; t < length; t++) {
            x[t] = new double[hidden];
            for (int i = 0; i < hidden; i++) {
                x[t][i] = embedding[tokens.get(t) * hidden + i];
            }
        }
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            double[][] attention = attention(l, p, x);
            for (int t = 0; t < length; t++) {
                add(x[t], attention[t]);
                add(x[t], experts(p, norm(x[t], weights.get(p + "post_attention_layernorm.weight"))));
            }
        }
        double[] last = norm(x[length - 1], weights.get("model.norm.weight"));
        return linear(weights.get("lm_head.weight"), null, last, vocab, hidden);
    }

    private double[][] attention(int layer, String p, double[][] x) {
        int length = x.length;
        double[][] q = new double[length][];
        double[][] k = new double[length][];
        double[][] v = new double[length][];
        for (int t = 0; t < length; t++) {
            double[] h = norm(x[t], weights.get(p + "input_layernorm.weight"));
            q[t] = rotate(linear(weights.get(p + "self_attn.q_proj.weight"), weights.get(p + "self_attn.q_proj.bias"), h, heads * headDim, hidden), heads, t);
            k[t] = rotate(linear(weights.get(p + "self_attn.k_proj.weight"), weights.get(p + "self_attn.k_proj.bias"), h, kvHeads * headDim, hidden), kvHeads, t);
            v[t] = linear(weights.get(p + "self_attn.v_proj.weight"), weights.get(p + "self_attn.v_proj.bias"), h, kvHeads * headDim, hidden);
        }
        float[] sinks = weights.get(p + "self_attn.sinks");
        double[][] out = new double[length][];
        for (int t = 0; t < length; t++) {
            double[] heads = new double[this.heads * headDim];
            for (int head = 0; head < this.heads; head++) {
                int kvHead = head / (this.heads / kvHeads);
                int first = sliding[layer] ? Math.max(0, t - window + 1) : 0;
                double[] scores = new double[t + 1 - first];
                double max = sinks[head];
                for (int s = first; s <= t; s++) {
                    double dot = 0;
                    for (int i = 0; i < headDim; i++) {
                        dot += q[t][head * headDim + i] * k[s][kvHead * headDim + i];
                    }
                    scores[s - first] = dot / Math.sqrt(headDim);
                    max = Math.max(max, scores[s - first]);
                }
                double sum = Math.exp(sinks[head] - max);
                for (int s = 0; s < scores.length; s++) {
                    scores[s] = Math.exp(scores[s] - max);
                    sum += scores[s];
                }
                for (int s = first; s <= t; s++) {
                    double weight = scores[s - first] / sum;
                    for (int i = 0; i < headDim; i++) {
                        heads[head * headDim + i] += weight * v[s][kvHead * headDim + i];
                    }
                }
            }
            out[t] = linear(weights.get(p + "self_attn.o_proj.weight"), weights.get(p + "self_attn.o_proj.bias"), heads, hidden, this.heads * headDim);
        }
        return out;
    }

    /** The experts the router picks, each weighted by the softmax over the picked logits. */
    private double[] experts(String p, double[] h) {
        double[] logits = linear(weights.get(p + "mlp.router.weight"), weights.get(p + "mlp.router.bias"), h, experts, hidden);
        List<Integer> chosen = new ArrayList<>();
        for (int n = 0; n < used; n++) {
            int best = -1;
            for (int e = 0; e < experts; e++) {
                if (!chosen.contains(e) && (best < 0 || logits[e] > logits[best])) {
                    best = e;
                }
            }
            chosen.add(best);
        }
        double max = logits[chosen.get(0)];
        double sum = 0;
        for (int e : chosen) {
            sum += Math.exp(logits[e] - max);
        }
        float[] gateUp = weights.get(p + "mlp.experts.gate_up_proj");
        float[] gateUpBias = weights.get(p + "mlp.experts.gate_up_proj_bias");
        float[] down = weights.get(p + "mlp.experts.down_proj");
        float[] downBias = weights.get(p + "mlp.experts.down_proj_bias");
        double[] out = new double[hidden];
        for (int e : chosen) {
            double weight = Math.exp(logits[e] - max) / sum;
            double[] activated = new double[ff];
            for (int j = 0; j < ff; j++) {
                double gate = gateUpBias[e * 2 * ff + 2 * j];
                double up = gateUpBias[e * 2 * ff + 2 * j + 1];
                for (int i = 0; i < hidden; i++) {
                    gate += h[i] * gateUp[(e * hidden + i) * 2 * ff + 2 * j];
                    up += h[i] * gateUp[(e * hidden + i) * 2 * ff + 2 * j + 1];
                }
                gate = Math.min(gate, limit);
                up = Math.max(-limit, Math.min(up, limit));
                activated[j] = (up + 1) * gate / (1 + Math.exp(-ALPHA * gate));
            }
            for (int o = 0; o < hidden; o++) {
                double y = downBias[e * hidden + o];
                for (int j = 0; j < ff; j++) {
                    y += activated[j] * down[(e * ff + j) * hidden + o];
                }
                out[o] += weight * y;
            }
        }
        return out;
    }

    /** Rotates each head's halves (i, i + headDim / 2) by position * frequency, cos and sin scaled as YaRN says. */
    private double[] rotate(double[] x, int count, int position) {
        int half = headDim / 2;
        for (int head = 0; head < count; head++) {
            for (int i = 0; i < half; i++) {
                double angle = position * inverseFrequencies[i];
                double cos = Math.cos(angle) * ropeScale;
                double sin = Math.sin(angle) * ropeScale;
                double a = x[head * headDim + i];
                double b = x[head * headDim + i + half];
                x[head * headDim + i] = a * cos - b * sin;
                x[head * headDim + i + half] = b * cos + a * sin;
            }
        }
        return x;
    }

    private double[] norm(double[] x, float[] weight) {
        return norm(x, weight, 0, x.length, eps);
    }
}
