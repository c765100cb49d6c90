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
 * Qwen3-MoE's forward pass, written from Hugging Face's modelling (models/qwen3_moe) on the
 * checkpoint's own bf16 weights, in double: RMSNorm; q/k/v without biases, each head's queries and
 * keys RMS-normalized (q_norm, k_norm) before the rotation of halves; causal grouped-query attention;
 * the router's softmax over every expert, its top k renormalized to sum to 1 (norm_topk_prob); each
 * chosen expert down(silu(gate x) * up x); the untied output head. The oracle for llama.cpp running
 * our qwen3moe GGUF.
 */
final class ReferenceQwen3Moe extends DoubleReference {

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
    private final double theta;

    ReferenceQwen3Moe(Path model) throws Exception {
        JsonNode config = new ObjectMapper().readTree(model.resolve("config.json").toFile());
        hidden = config.get("hidden_size").asInt();
        layers = config.get("num_hidden_layers").asInt();
        heads = config.get("num_attention_heads").asInt();
        kvHeads = config.get("num_key_value_heads").asInt();
        headDim = config.get("head_dim").asInt();
        experts = config.get("num_experts").asInt();
        used = config.get("num_experts_per_tok").asInt();
        ff = config.get("moe_intermediate_size").asInt();
        vocab = config.get("vocab_size").asInt();
        eps = config.get("rms_norm_eps").asDouble();
        theta = config.get("rope_theta").asDouble();
        for (Map.Entry<String, ReferenceMerge.Located> tensor : ReferenceMerge.tensors(model).entrySet()) {
            weights.put(tensor.getKey(), ReferenceMerge.read(tensor.getValue()));
        }
    }

    @Override
    double[] lastLogits(List<Integer> tokens) {
        int length = tokens.size();
        double[][] x = new double[length][hidden];
        float[] embedding = weights.get("model.embed_tokens.weight");
        for (int t = 0; t < length; t++) {
            for (int i = 0; i < hidden; i++) {
                x[t][i] = embedding[tokens.get(t) * hidden + i];
            }
        }
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            double[][] attention = attention(p, x);
            for (int t = 0; t < length; t++) {
                add(x[t], attention[t]);
                add(x[t], experts(p, norm(x[t], weights.get(p + "post_attention_layernorm.weight"), 0, hidden)));
            }
        }
        return linear(weights.get("lm_head.weight"), null, norm(x[length - 1], weights.get("model.norm.weight"), 0, hidden), vocab, hidden);
    }

    private double[][] attention(String p, double[][] x) {
        int length = x.length;
        double[][] q = new double[length][];
        double[][] k = new double[length][];
        double[][] v = new double[length][];
        for (int t = 0; t < length; t++) {
            double[] h = norm(x[t], weights.get(p + "input_layernorm.weight"), 0, hidden);
            q[t] = rotate(headNorm(linear(weights.get(p + "self_attn.q_proj.weight"), null, h, heads * headDim, hidden), weights.get(p + "self_attn.q_norm.weight"),
                    heads), heads, t);
            k[t] = rotate(headNorm(linear(weights.get(p + "self_attn.k_proj.weight"), null, h, kvHeads * headDim, hidden), weights.get(p + "self_attn.k_norm.weight"),
                    kvHeads), kvHeads, t);
            v[t] = linear(weights.get(p + "self_attn.v_proj.weight"), null, h, kvHeads * headDim, hidden);
        }
        double[][] out = new double[length][];
        for (int t = 0; t < length; t++) {
            double[] concatenated = new double[heads * headDim];
            for (int head = 0; head < heads; head++) {
                int kvHead = head / (heads / kvHeads);
                double[] scores = new double[t + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int s = 0; s <= t; s++) {
                    double dot = 0;
                    for (int i = 0; i < headDim; i++) {
                        dot += q[t][head * headDim + i] * k[s][kvHead * headDim + i];
                    }
                    scores[s] = dot / Math.sqrt(headDim);
                    max = Math.max(max, scores[s]);
                }
                double sum = 0;
                for (int s = 0; s <= t; s++) {
                    scores[s] = Math.exp(scores[s] - max);
                    sum += scores[s];
                }
                for (int s = 0; s <= t; s++) {
                    for (int i = 0; i < headDim; i++) {
                        concatenated[head * headDim + i] += scores[s] / sum * v[s][kvHead * headDim + i];
                    }
                }
            }
            out[t] = linear(weights.get(p + "self_attn.o_proj.weight"), null, concatenated, hidden, heads * headDim);
        }
        return out;
    }

    /** The router's softmax over all experts; the top k, renormalized; each expert's SwiGLU. */
    private double[] experts(String p, double[] h) {
        double[] logits = linear(weights.get(p + "mlp.gate.weight"), null, h, experts, hidden);
        double max = Double.NEGATIVE_INFINITY;
        for (double logit : logits) {
            max = Math.max(max, logit);
        }
        double total = 0;
        double[] probabilities = new double[experts];
        for (int e = 0; e < experts; e++) {
            probabilities[e] = Math.exp(logits[e] - max);
            total += probabilities[e];
        }
        List<Integer> chosen = new ArrayList<>();
        double chosenSum = 0;
        for (int n = 0; n < used; n++) {
            int best = -1;
            for (int e = 0; e < experts; e++) {
                if (!chosen.contains(e) && (best < 0 || probabilities[e] > probabilities[best])) {
                    best = e;
                }
            }
            chosen.add(best);
            chosenSum += probabilities[best] / total;
        }
        double[] out = new double[hidden];
        for (int e : chosen) {
            String expert = p + "mlp.experts." + e + ".";
            double[] gate = linear(weights.get(expert + "gate_proj.weight"), null, h, ff, hidden);
            double[] up = linear(weights.get(expert + "up_proj.weight"), null, h, ff, hidden);
            for (int j = 0; j < ff; j++) {
                gate[j] = gate[j] / (1 + Math.exp(-gate[j])) * up[j];
            }
            double[] y = linear(weights.get(expert + "down_proj.weight"), null, gate, hidden, ff);
            double weight = probabilities[e] / total / chosenSum;
            for (int i = 0; i < hidden; i++) {
                out[i] += weight * y[i];
            }
        }
        return out;
    }

    private double[] headNorm(double[] x, float[] weight, int count) {
        double[] out = new double[x.length];
        for (int head = 0; head < count; head++) {
            double[] normalized = norm(x, weight, head * headDim, headDim);
            System.arraycopy(normalized, 0, out, head * headDim, headDim);
        }
        return out;
    }

    private double[] rotate(double[] x, int count, int position) {
        int half = headDim / 2;
        for (int head = 0; head < count; head++) {
            for (int i = 0; i < half; i++) {
                double angle = position / Math.pow(theta, 2.0 * i / headDim);
                double a = x[head * headDim + i];
                double b = x[head * headDim + i + half];
                x[head * headDim + i] = a * Math.cos(angle) - b * Math.sin(angle);
                x[head * headDim + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
            }
        }
        return x;
    }

    private double[] norm(double[] x, float[] weight, int from, int length) {
        return norm(x, weight, from, length, eps);
    }
}
