package orchestrate.quant;

import java.util.ArrayList;
import java.util.List;
import orchestrate.gguf.GgmlType;

/**
 * The type llama-quantize gives each tensor of a file type (no importance matrix, no overrides),
 * following {@code llama_tensor_get_type} in llama.cpp's src/llama-quant.cpp at commit 007dbbf
 * (2026). The attn_v and ffn_down rules count occurrences, so tensors are visited in llama.cpp's
 * loader order (see {@link #loaderOrder}) whatever order the file lists them in. Current llama.cpp treats a fused attn_qkv as attn_v;
 * builds before that gave attn_qkv its own rule (Q4_K_M: Q5_K in every layer), which is what
 * published phi-4 Q4_K_M files show.
 *
 * <p>Not modelled: the rules for Falcon, for 8-expert models and for LLaMA-70B's attn_v, none of
 * which the architectures we convert reach except a 70B llama. MoE experts ({@code ffn_*_exps})
 * follow the rules of their dense names, one per layer, as llama.cpp's do.
 */
public final class TensorTypes {

    /** A tensor as the rules see it: its GGUF name and its dimensions, ne[0] first. */
    public record Tensor(String name, long[] dims) {}

    private TensorTypes() {}

    /**
     * The types of {@code tensors}, in the same order.
     *
     * @param heads and {@code kvHeads} give n_gqa, which decides Q2_K's attn_v
     */
    public static List<GgmlType> choose(FileType fileType, List<Tensor> tensors, int layers, int heads, int kvHeads) {
        int attentionV = 0;
        boolean tied = true;
        for (Tensor tensor : tensors) {
            if (isAttentionV(tensor.name())) {
                attentionV++;
            }
            if (tensor.name().equals("output.weight")) {
                tied = false;
            }
        }
        int gqa = kvHeads > 0 ? heads / kvHeads : 1;
        int seenV = 0;
        int seenDown = 0;
        GgmlType[] types = new GgmlType[tensors.size()];
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            order.add(i);
        }
        order.sort((a, b) -> loaderOrder(tensors.get(a).name(), tensors.get(b).name()));
        for (int index : order) {
            Tensor tensor = tensors.get(index);
            if (!quantizable(tensor)) {
                types[index] = GgmlType.F32;
                continue;
            }
            if (!fileType.quantized()) {
                types[index] = fileType.base(); // as llama.cpp's converter writes F16 and BF16: every weight matrix, the embedding too
                continue;
            }
            String name = tensor.name();
            GgmlType type = fileType.base();
            if (fileType == FileType.MXFP4_MOE) {
                types[index] = mxfp4Moe(tensor, tied);
                continue;
            }
            if (name.equals("output.weight") || (tied && name.equals("token_embd.weight"))) {
                if (tensor.dims()[0] % type.blockSize() != 0) {
                    type = GgmlType.Q8_0;
                } else if (type != GgmlType.Q8_0) {
                    type = GgmlType.Q6_K;
                }
            } else if (name.equals("token_embd.weight")) {
                // keeps the base type for every file type we write
            } else if (isAttentionV(name)) {
                type = attentionV(fileType, type, seenV, attentionV, gqa);
                seenV++;
            } else if (name.contains("ffn_down")) {
                type = ffnDown(fileType, type, seenDown, layers);
                seenDown++;
            } else if (name.contains("attn_output.weight")) {
                type = switch (fileType) {
                    case Q2_K -> GgmlType.Q3_K;
                    case Q3_K_M -> GgmlType.Q4_K;
                    case Q3_K_L -> GgmlType.Q5_K;
                    default -> type;
                };
            }
            types[index] = fallback(type, tensor.dims()[0]);
        }
        return List.of(types);
    }

    /** Only 2-D (or larger) tensors named *weight, never norms or a MoE router: the rest stay F32. */
    public static boolean quantizable(Tensor tensor) {
        return tensor.dims().length >= 2 && tensor.name().endsWith("weight") && !tensor.name().contains("_norm.weight")
                && !tensor.name().endsWith("ffn_gate_inp.weight");
    }

    /** MXFP4_MOE: experts (tensors with a third dimension above 1) in MXFP4; the output (and a tied embedding) and every other weight in Q8_0. */
    private static GgmlType mxfp4Moe(Tensor tensor, boolean tied) {
        boolean output = tensor.name().equals("output.weight") || (tied && tensor.name().equals("token_embd.weight"));
        GgmlType type = !output && tensor.dims().length > 2 && tensor.dims()[2] > 1 ? GgmlType.MXFP4 : GgmlType.Q8_0;
        return fallback(type, tensor.dims()[0]);
    }

    /** More bits for the first and last eighth of the layers and every third one between. */
    static boolean useMoreBits(int layer, int layers) {
        return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
    }

    private static boolean isAttentionV(String name) {
        return name.contains("attn_v.weight") || name.contains("attn_qkv.weight") || name.contains("attn_kv_b.weight");
    }

    private static GgmlType attentionV(FileType fileType, GgmlType type, int seen, int count, int gqa) {
        return switch (fileType) {
            case Q2_K -> gqa >= 4 ? GgmlType.Q4_K : GgmlType.Q3_K;
            case Q3_K_M -> seen < 2 ? GgmlType.Q5_K : GgmlType.Q4_K;
            case Q3_K_L -> GgmlType.Q5_K;
            case Q4_K_M, Q5_K_M -> useMoreBits(seen, count) ? GgmlType.Q6_K : type;
            case Q4_K_S -> seen < 4 ? GgmlType.Q5_K : type;
            default -> type;
        };
    }

    private static GgmlType ffnDown(FileType fileType, GgmlType type, int layer, int layers) {
        return switch (fileType) {
            case Q2_K -> GgmlType.Q3_K;
            case Q3_K_M -> layer < layers / 16 ? GgmlType.Q5_K : GgmlType.Q4_K;
            case Q3_K_L -> GgmlType.Q5_K;
            case Q4_K_M, Q5_K_M -> useMoreBits(layer, layers) ? GgmlType.Q6_K : type;
            case Q4_K_S -> layer < layers / 8 ? GgmlType.Q5_K : type;
            default -> type;
        };
    }

    /** Rows that are not whole blocks take the nearest type whose blocks fit, else F16. */
    static GgmlType fallback(GgmlType type, long rowLength) {
        if (rowLength % type.blockSize() == 0) {
            return type;
        }
        GgmlType smaller = switch (type) {
            case Q2_K, Q3_K -> GgmlType.Q4_0;
            case Q4_K -> GgmlType.Q5_0;
            case Q5_K -> GgmlType.Q5_1;
            case Q6_K -> GgmlType.Q8_0;
            default -> GgmlType.F16;
        };
        return rowLength % smaller.blockSize() == 0 ? smaller : GgmlType.F16;
    }

    /**
     * llama.cpp's loader order: tensors outside blocks first, then block by block, each group by
     * name (its weights_map compares the "blk.N." number, then the name).
     */
    public static int loaderOrder(String a, String b) {
        int layerA = layer(a);
        int layerB = layer(b);
        return layerA != layerB ? Integer.compare(layerA, layerB) : a.compareTo(b);
    }

    private static int layer(String name) {
        if (!name.startsWith("blk.")) {
            return -1;
        }
        int end = name.indexOf('.', 4);
        try {
            return Integer.parseInt(name.substring(4, end));
        } catch (RuntimeException e) {
            return -1;
        }
    }
}
