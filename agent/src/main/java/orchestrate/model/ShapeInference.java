package orchestrate.model;

import orchestrate.safetensors.TensorEntry;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a model's true shape from its tensor names and shapes alone. Every layer must have the
 * same tensors with the same shapes as layer 0; anything else is reported by name.
 */
public final class ShapeInference {

    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    /** The head sizes models use, most common first: the order candidates are listed in. */
    private static final int[] HEAD_DIMS = {128, 64, 96, 80, 256, 112, 160, 192, 32, 48};

    private ShapeInference() {}

    public static ModelShape infer(Map<String, TensorEntry> tensors) throws ShapeException {
        TreeMap<Integer, Map<String, TensorEntry>> layers = layers(tensors);
        Map<String, TensorEntry> first = layers.firstEntry().getValue();
        TensorEntry embed = require(tensors, "model.embed_tokens.weight", "the token embedding");
        long hidden = embed.dim(1);
        long vocabRows = embed.dim(0);
        TensorEntry head = tensors.get("lm_head.weight");
        if (head != null && head.dim(1) != hidden) {
            throw new ShapeException("lm_head.weight is " + Arrays.toString(head.shape()) + " but the embedding is " + hidden + " wide");
        }

        boolean fusedQkv = first.containsKey("self_attn.qkv_proj.weight");
        long qWidth;
        long kvWidth;
        if (fusedQkv) {
            long rows = rows(first, "self_attn.qkv_proj.weight", hidden);
            qWidth = require(first, "self_attn.o_proj.weight", "layer 0's attention output").dim(1);
            if (rows <= qWidth || (rows - qWidth) % 2 != 0) {
                throw new ShapeException("model.layers.0.self_attn.qkv_proj.weight has " + rows + " rows, which is not "
                        + qWidth + " (the attention output's width) plus two equal K and V parts");
            }
            kvWidth = (rows - qWidth) / 2;
        } else if (first.containsKey("self_attn.q_proj.weight")) {
            qWidth = rows(first, "self_attn.q_proj.weight", hidden);
            kvWidth = rows(first, "self_attn.k_proj.weight", hidden);
            if (rows(first, "self_attn.v_proj.weight", hidden) != kvWidth) {
                throw new ShapeException("model.layers.0.self_attn.v_proj.weight and k_proj.weight differ in rows");
            }
        } else {
            throw new ShapeException("layer 0 has neither self_attn.qkv_proj nor q_proj/k_proj/v_proj: " + new TreeSet<>(first.keySet()));
        }

        boolean fusedGateUp = first.containsKey("mlp.gate_up_proj.weight");
        boolean phi2Mlp = first.containsKey("mlp.fc1.weight");
        long intermediate;
        int experts = 0;
        boolean separateExperts = first.containsKey("mlp.experts.0.gate_proj.weight");
        if (first.containsKey("mlp.experts.gate_up_proj") || first.containsKey("mlp.experts.gate_up_proj_blocks")) {
            long[] stacked = stackedExperts(first, hidden);
            experts = (int) stacked[0];
            intermediate = stacked[1];
        } else if (separateExperts) {
            long[] separate = separateExperts(first, hidden);
            experts = (int) separate[0];
            intermediate = separate[1];
        } else if (fusedGateUp) {
            long rows = rows(first, "mlp.gate_up_proj.weight", hidden);
            if (rows % 2 != 0) {
                throw new ShapeException("model.layers.0.mlp.gate_up_proj.weight has an odd number of rows (" + rows + ")");
            }
            intermediate = rows / 2;
        } else if (first.containsKey("mlp.gate_proj.weight")) {
            intermediate = rows(first, "mlp.gate_proj.weight", hidden);
            if (rows(first, "mlp.up_proj.weight", hidden) != intermediate) {
                throw new ShapeException("model.layers.0.mlp.up_proj.weight and gate_proj.weight differ in rows");
            }
        } else if (phi2Mlp) {
            intermediate = rows(first, "mlp.fc1.weight", hidden);
        } else {
            throw new ShapeException("layer 0 has no MLP we know (gate_up_proj, gate_proj/up_proj or fc1): " + new TreeSet<>(first.keySet()));
        }

        boolean attentionBias = first.keySet().stream().anyMatch(k -> k.startsWith("self_attn.") && k.endsWith("_proj.bias") && !k.contains("o_proj"));
        boolean mlpBias = first.keySet().stream().anyMatch(k -> k.startsWith("mlp.") && k.endsWith(".bias"));
        String norm = first.containsKey("input_layernorm.bias") ? "layer" : "rms";
        Family family = experts == 0 ? family(fusedQkv, fusedGateUp, phi2Mlp, attentionBias, norm, first)
                : separateExperts ? qwen3Moe(attentionBias, norm, first) : gptOss(attentionBias, norm, first);

        TensorEntry qNorm = first.get("self_attn.q_norm.weight");
        TensorEntry sinks = first.get("self_attn.sinks"); // gpt-oss: one logit per head
        List<HeadLayout> layouts = qNorm != null ? proven(qWidth, kvWidth, (int) qNorm.dim(0), "self_attn.q_norm.weight")
                : sinks != null && sinks.rank() == 1 && qWidth % sinks.dim(0) == 0 ? proven(qWidth, kvWidth, (int) (qWidth / sinks.dim(0)), "self_attn.sinks (a logit per head)")
                : candidates(qWidth, kvWidth);

        Map<String, Long> dtypes = new TreeMap<>();
        long parameters = 0;
        long bytes = 0;
        for (TensorEntry tensor : tensors.values()) {
            dtypes.merge(tensor.dtype().name(), tensor.elements(), Long::sum);
            parameters += tensor.elements();
            bytes += tensor.bytes();
        }
        return new ModelShape(family, layers.lastKey() + 1, hidden, vocabRows, head == null ? 0 : head.dim(0), intermediate,
                fusedQkv, fusedGateUp, qWidth, kvWidth, layouts, qNorm != null || sinks != null, attentionBias, mlpBias, norm,
                dtypes, parameters, bytes, tensors.size(), experts);
    }

    /**
     * gpt-oss's experts, stacked: gate_up_proj [experts, hidden, 2 x ff] (or, as OpenAI published it, MXFP4 blocks
     * [experts, 2 x ff, hidden / 32, 16]) and down_proj [experts, ff, hidden] (blocks [experts, hidden, ff / 32, 16]).
     * Returns the experts and ff.
     */
    private static long[] stackedExperts(Map<String, TensorEntry> first, long hidden) throws ShapeException {
        TensorEntry gateUp = first.get("mlp.experts.gate_up_proj");
        long experts;
        long ff;
        if (gateUp != null) {
            if (gateUp.rank() != 3 || gateUp.dim(1) != hidden || gateUp.dim(2) % 2 != 0) {
                throw new ShapeException("model.layers.0.mlp.experts.gate_up_proj is " + Arrays.toString(gateUp.shape())
                        + "; expected [experts, " + hidden + ", 2 x ff] (gate and up interleaved)");
            }
            experts = gateUp.dim(0);
            ff = gateUp.dim(2) / 2;
        } else {
            TensorEntry blocks = first.get("mlp.experts.gate_up_proj_blocks");
            if (blocks.rank() != 4 || blocks.dim(2) * 32 != hidden || blocks.dim(3) != 16 || blocks.dim(1) % 2 != 0) {
                throw new ShapeException("model.layers.0.mlp.experts.gate_up_proj_blocks is " + Arrays.toString(blocks.shape())
                        + "; expected MXFP4 blocks [experts, 2 x ff, " + hidden / 32 + ", 16]");
            }
            experts = blocks.dim(0);
            ff = blocks.dim(1) / 2;
        }
        TensorEntry router = require(first, "mlp.router.weight", "layer 0's router");
        if (router.rank() != 2 || router.dim(0) != experts || router.dim(1) != hidden) {
            throw new ShapeException("model.layers.0.mlp.router.weight is " + Arrays.toString(router.shape()) + "; expected [" + experts + ", " + hidden + "]");
        }
        return new long[] {experts, ff};
    }

    /** Qwen3-MoE's experts, one tensor each: mlp.experts.E.{gate,up}_proj [ff, hidden], down_proj [hidden, ff], and the router mlp.gate [experts, hidden]. */
    private static long[] separateExperts(Map<String, TensorEntry> first, long hidden) throws ShapeException {
        int experts = 0;
        while (first.containsKey("mlp.experts." + experts + ".gate_proj.weight")) {
            experts++;
        }
        long ff = rows(first, "mlp.experts.0.gate_proj.weight", hidden);
        for (int e = 0; e < experts; e++) {
            String p = "mlp.experts." + e + ".";
            TensorEntry down = require(first, p + "down_proj.weight", "expert " + e + "'s down projection");
            if (rows(first, p + "gate_proj.weight", hidden) != ff || rows(first, p + "up_proj.weight", hidden) != ff || down.rank() != 2
                    || down.dim(0) != hidden || down.dim(1) != ff) {
                throw new ShapeException("model.layers.0." + p + "* are not [" + ff + ", " + hidden + "] gate and up and [" + hidden + ", " + ff
                        + "] down, as expert 0's are");
            }
        }
        TensorEntry router = require(first, "mlp.gate.weight", "layer 0's router");
        if (router.rank() != 2 || router.dim(0) != experts || router.dim(1) != hidden) {
            throw new ShapeException("model.layers.0.mlp.gate.weight is " + Arrays.toString(router.shape()) + "; expected [" + experts + ", " + hidden + "]");
        }
        return new long[] {experts, ff};
    }

    private static Family qwen3Moe(boolean attentionBias, String norm, Map<String, TensorEntry> first) throws ShapeException {
        if (!first.containsKey("self_attn.q_norm.weight") || attentionBias || !norm.equals("rms")) {
            throw new ShapeException("layer 0 has experts stored one tensor each but not Qwen3's attention (q_norm and k_norm, no biases): "
                    + new TreeSet<>(first.keySet()));
        }
        return Family.QWEN3_MOE;
    }

    private static Family gptOss(boolean attentionBias, String norm, Map<String, TensorEntry> first) throws ShapeException {
        if (!first.containsKey("self_attn.sinks") || !attentionBias || !norm.equals("rms")) {
            throw new ShapeException("layer 0 stacks its experts as gpt-oss does but lacks its attention (q/k/v biases and self_attn.sinks): "
                    + new TreeSet<>(first.keySet()));
        }
        return Family.GPT_OSS;
    }

    private static Family family(boolean fusedQkv, boolean fusedGateUp, boolean phi2Mlp, boolean attentionBias, String norm,
                                 Map<String, TensorEntry> first) throws ShapeException {
        if (fusedQkv && fusedGateUp && norm.equals("rms")) {
            return Family.PHI3;
        }
        if (fusedQkv != fusedGateUp && !phi2Mlp && !attentionBias && norm.equals("rms")) {
            // Phi-3 half split (split-ffn or split-qkv alone): still a phi3 checkpoint by its config,
            // which only the other split makes convertible (convert names the missing fused tensor).
            return Family.PHI3;
        }
        if (!fusedQkv && !fusedGateUp && !phi2Mlp && norm.equals("rms")) {
            boolean qkNorm = first.containsKey("self_attn.q_norm.weight") && first.containsKey("self_attn.k_norm.weight");
            boolean sandwich = first.containsKey("pre_feedforward_layernorm.weight") && first.containsKey("post_feedforward_layernorm.weight");
            if (qkNorm && sandwich && !attentionBias) {
                return Family.GEMMA3;
            }
            if (qkNorm && !attentionBias) {
                return Family.QWEN3;
            }
            return attentionBias ? Family.QWEN2 : Family.LLAMA;
        }
        if (!fusedQkv && phi2Mlp && norm.equals("layer")) {
            return Family.PHI2;
        }
        throw new ShapeException("layer 0 mixes layouts (" + (fusedQkv ? "fused" : "separate") + " QKV, "
                + (fusedGateUp ? "fused gate_up" : phi2Mlp ? "fc1/fc2" : "gate/up") + ", " + norm + " norm): "
                + new TreeSet<>(first.keySet()));
    }

    /** Layers by index, each checked to have layer 0's tensors and shapes. */
    private static TreeMap<Integer, Map<String, TensorEntry>> layers(Map<String, TensorEntry> tensors) throws ShapeException {
        TreeMap<Integer, Map<String, TensorEntry>> layers = new TreeMap<>();
        for (TensorEntry tensor : tensors.values()) {
            Matcher m = LAYER.matcher(tensor.name());
            if (m.matches()) {
                layers.computeIfAbsent(Integer.parseInt(m.group(1)), k -> new TreeMap<>()).put(m.group(2), tensor);
            }
        }
        if (layers.isEmpty()) {
            throw new ShapeException("no tensor is named model.layers.N.*: not a decoder checkpoint we know");
        }
        for (int i = 0; i <= layers.lastKey(); i++) {
            if (!layers.containsKey(i)) {
                throw new ShapeException("layer " + i + " is missing: there are tensors for layers 0 to " + layers.lastKey() + " but none named model.layers." + i + ".*");
            }
        }
        Map<String, TensorEntry> first = layers.get(0);
        for (var layer : layers.entrySet()) {
            for (var tensor : first.entrySet()) {
                TensorEntry other = layer.getValue().get(tensor.getKey());
                if (other == null) {
                    throw new ShapeException("model.layers." + layer.getKey() + "." + tensor.getKey() + " is missing (layer 0 has it)");
                }
                if (!Arrays.equals(other.shape(), tensor.getValue().shape())) {
                    throw new ShapeException("model.layers." + layer.getKey() + "." + tensor.getKey() + " is " + Arrays.toString(other.shape())
                            + " but layer 0's is " + Arrays.toString(tensor.getValue().shape()));
                }
            }
            for (String name : layer.getValue().keySet()) {
                if (!first.containsKey(name)) {
                    throw new ShapeException("model.layers." + layer.getKey() + "." + name + " has no counterpart in layer 0");
                }
            }
        }
        return layers;
    }

    private static List<HeadLayout> candidates(long qWidth, long kvWidth) {
        List<HeadLayout> layouts = new ArrayList<>();
        for (int headDim : HEAD_DIMS) {
            if (qWidth % headDim == 0 && kvWidth % headDim == 0 && (qWidth / headDim) % (kvWidth / headDim) == 0) {
                layouts.add(new HeadLayout(headDim, (int) (qWidth / headDim), (int) (kvWidth / headDim)));
            }
        }
        return List.copyOf(layouts);
    }

    /** @param by the tensor that proves the head size, as the message names it */
    private static List<HeadLayout> proven(long qWidth, long kvWidth, int headDim, String by) throws ShapeException {
        if (qWidth % headDim != 0 || kvWidth % headDim != 0) {
            throw new ShapeException(by + " says head_dim " + headDim + ", which does not divide " + qWidth + " and " + kvWidth);
        }
        return List.of(new HeadLayout(headDim, (int) (qWidth / headDim), (int) (kvWidth / headDim)));
    }

    private static long rows(Map<String, TensorEntry> layer, String name, long hidden) throws ShapeException {
        TensorEntry tensor = require(layer, name, "a layer-0 tensor");
        if (tensor.rank() != 2 || tensor.dim(1) != hidden) {
            throw new ShapeException("model.layers.0." + name + " is " + Arrays.toString(tensor.shape()) + "; expected [rows, " + hidden + "]");
        }
        return tensor.dim(0);
    }

    private static TensorEntry require(Map<String, TensorEntry> tensors, String name, String what) throws ShapeException {
        TensorEntry tensor = tensors.get(name);
        if (tensor == null) {
            throw new ShapeException("no " + name + " (" + what + ")");
        }
        return tensor;
    }
}
