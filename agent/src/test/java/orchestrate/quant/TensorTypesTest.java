package orchestrate.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import orchestrate.gguf.GgmlType;
import org.junit.jupiter.api.Test;

/** The per-tensor types, checked against llama-quant.cpp's rules worked out by hand for each case. */
class TensorTypesTest {

    /** Phi-4's tensors in the order our converter writes them (not llama.cpp's loader order). */
    static List<TensorTypes.Tensor> phi4() {
        List<TensorTypes.Tensor> tensors = new ArrayList<>();
        tensors.add(new TensorTypes.Tensor("token_embd.weight", new long[] {5120, 100352}));
        for (int i = 0; i < 40; i++) {
            tensors.add(new TensorTypes.Tensor("blk." + i + ".attn_norm.weight", new long[] {5120}));
            tensors.add(new TensorTypes.Tensor("blk." + i + ".attn_qkv.weight", new long[] {5120, 7680}));
            tensors.add(new TensorTypes.Tensor("blk." + i + ".attn_output.weight", new long[] {5120, 5120}));
            tensors.add(new TensorTypes.Tensor("blk." + i + ".ffn_norm.weight", new long[] {5120}));
            tensors.add(new TensorTypes.Tensor("blk." + i + ".ffn_up.weight", new long[] {5120, 35840}));
            tensors.add(new TensorTypes.Tensor("blk." + i + ".ffn_down.weight", new long[] {17920, 5120}));
        }
        tensors.add(new TensorTypes.Tensor("output_norm.weight", new long[] {5120}));
        tensors.add(new TensorTypes.Tensor("output.weight", new long[] {5120, 100352}));
        return tensors;
    }

    static Map<String, GgmlType> typesOf(FileType fileType, List<TensorTypes.Tensor> tensors, int layers, int heads, int kvHeads) {
        List<GgmlType> types = TensorTypes.choose(fileType, tensors, layers, heads, kvHeads);
        Map<String, GgmlType> byName = new TreeMap<>();
        for (int i = 0; i < tensors.size(); i++) {
            byName.put(tensors.get(i).name(), types.get(i));
        }
        return byName;
    }

    static Map<GgmlType, Integer> counts(Map<String, GgmlType> types) {
        Map<GgmlType, Integer> counts = new TreeMap<>();
        types.values().forEach(t -> counts.merge(t, 1, Integer::sum));
        return counts;
    }

    @Test
    void phi4InQ4_K_MGivesTheFusedQkvAndFfnDownMoreBitsOnTheUseMoreBitsLayers() {
        Map<String, GgmlType> types = typesOf(FileType.Q4_K_M, phi4(), 40, 40, 10);
        // use_more_bits(i, 40): i < 5, i >= 35, or (i - 5) % 3 == 2: 20 layers.
        List<Integer> moreBits = List.of(0, 1, 2, 3, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 34, 35, 36, 37, 38, 39);
        for (int i = 0; i < 40; i++) {
            GgmlType expected = moreBits.contains(i) ? GgmlType.Q6_K : GgmlType.Q4_K;
            assertEquals(expected, types.get("blk." + i + ".attn_qkv.weight"), "attn_qkv " + i);
            assertEquals(expected, types.get("blk." + i + ".ffn_down.weight"), "ffn_down " + i);
            assertEquals(GgmlType.Q4_K, types.get("blk." + i + ".attn_output.weight"));
            assertEquals(GgmlType.Q4_K, types.get("blk." + i + ".ffn_up.weight"));
            assertEquals(GgmlType.F32, types.get("blk." + i + ".attn_norm.weight"));
        }
        assertEquals(GgmlType.Q6_K, types.get("output.weight"));
        assertEquals(GgmlType.Q4_K, types.get("token_embd.weight"), "untied embeddings keep the base type");
        assertEquals(Map.of(GgmlType.F32, 81, GgmlType.Q4_K, 121, GgmlType.Q6_K, 41), counts(types));
    }

    @Test
    void phi4InQ3_K_M() {
        Map<String, GgmlType> types = typesOf(FileType.Q3_K_M, phi4(), 40, 40, 10);
        // attn_v-like: Q5_K for the first two; ffn_down: Q5_K below 40/16 = 2, else Q4_K; attn_output Q4_K.
        assertEquals(GgmlType.Q5_K, types.get("blk.1.attn_qkv.weight"));
        assertEquals(GgmlType.Q4_K, types.get("blk.2.attn_qkv.weight"));
        assertEquals(GgmlType.Q5_K, types.get("blk.1.ffn_down.weight"));
        assertEquals(GgmlType.Q4_K, types.get("blk.2.ffn_down.weight"));
        assertEquals(GgmlType.Q3_K, types.get("blk.2.ffn_up.weight"));
        assertEquals(Map.of(GgmlType.F32, 81, GgmlType.Q3_K, 41, GgmlType.Q4_K, 116, GgmlType.Q5_K, 4, GgmlType.Q6_K, 1), counts(types));
    }

    @Test
    void q2_KLooksAtTheGroupedQueryRatio() {
        // n_gqa = 40 / 10 = 4: attn_v-like tensors get Q4_K; with 2 query heads per KV head, Q3_K.
        assertEquals(GgmlType.Q4_K, typesOf(FileType.Q2_K, phi4(), 40, 40, 10).get("blk.9.attn_qkv.weight"));
        Map<String, GgmlType> types = typesOf(FileType.Q2_K, phi4(), 40, 40, 20);
        assertEquals(GgmlType.Q3_K, types.get("blk.9.attn_qkv.weight"));
        assertEquals(GgmlType.Q3_K, types.get("blk.9.ffn_down.weight"));
        assertEquals(GgmlType.Q3_K, types.get("blk.9.attn_output.weight"));
        assertEquals(GgmlType.Q2_K, types.get("blk.9.ffn_up.weight"));
    }

    @Test
    void smallerFileTypesFollowTheirOwnRules() {
        Map<String, GgmlType> s = typesOf(FileType.Q4_K_S, phi4(), 40, 40, 10);
        assertEquals(GgmlType.Q5_K, s.get("blk.3.attn_qkv.weight"));
        assertEquals(GgmlType.Q4_K, s.get("blk.4.attn_qkv.weight"));
        assertEquals(GgmlType.Q5_K, s.get("blk.4.ffn_down.weight"), "below 40/8 = 5");
        assertEquals(GgmlType.Q4_K, s.get("blk.5.ffn_down.weight"));
        Map<String, GgmlType> l = typesOf(FileType.Q3_K_L, phi4(), 40, 40, 10);
        assertEquals(GgmlType.Q5_K, l.get("blk.20.attn_qkv.weight"));
        assertEquals(GgmlType.Q5_K, l.get("blk.20.attn_output.weight"));
        assertEquals(GgmlType.Q5_K, l.get("blk.20.ffn_down.weight"));
        assertEquals(Map.of(GgmlType.F32, 81, GgmlType.Q6_K, 1, GgmlType.Q3_K, 161), counts(typesOf(FileType.Q3_K_S, phi4(), 40, 40, 10)));
        assertEquals(Map.of(GgmlType.F32, 81, GgmlType.Q8_0, 162), counts(typesOf(FileType.Q8_0, phi4(), 40, 40, 10)), "Q8_0 keeps output Q8_0");
        assertEquals(Map.of(GgmlType.F32, 81, GgmlType.Q6_K, 1, GgmlType.Q4_0, 161), counts(typesOf(FileType.Q4_0, phi4(), 40, 40, 10)));
    }

    @Test
    void tiedEmbeddingsAreQuantizedLikeTheOutput() {
        List<TensorTypes.Tensor> tensors = new ArrayList<>(phi4());
        tensors.removeIf(t -> t.name().equals("output.weight"));
        assertEquals(GgmlType.Q6_K, typesOf(FileType.Q4_K_M, tensors, 40, 40, 10).get("token_embd.weight"));
    }

    @Test
    void rowsThatAreNotWholeBlocksFallBack() {
        List<TensorTypes.Tensor> tensors = List.of(
                new TensorTypes.Tensor("blk.0.attn_output.weight", new long[] {96, 96}),   // 96 % 256 != 0, 96 % 32 == 0
                new TensorTypes.Tensor("blk.0.ffn_up.weight", new long[] {100, 96}),       // not even 32
                new TensorTypes.Tensor("blk.0.ffn_down.weight", new long[] {96, 96}),
                new TensorTypes.Tensor("output.weight", new long[] {96, 640}));
        Map<String, GgmlType> q4 = typesOf(FileType.Q4_K_M, tensors, 1, 4, 4);
        assertEquals(GgmlType.Q5_0, q4.get("blk.0.attn_output.weight"));
        assertEquals(GgmlType.F16, q4.get("blk.0.ffn_up.weight"));
        assertEquals(GgmlType.Q8_0, q4.get("blk.0.ffn_down.weight"), "Q6_K (use_more_bits) falls back to Q8_0");
        assertEquals(GgmlType.Q8_0, q4.get("output.weight"), "ne0 % 256 != 0: output goes to Q8_0");
        assertEquals(GgmlType.Q4_0, typesOf(FileType.Q3_K_S, tensors, 1, 4, 4).get("blk.0.attn_output.weight"));
        assertEquals(GgmlType.Q5_1, typesOf(FileType.Q5_K_S, tensors, 1, 4, 4).get("blk.0.attn_output.weight"));
    }

    @Test
    void useMoreBitsMatchesTheFormula() {
        // n = 4 (the tiny fixture): n/8 = 0, 7n/8 = 3, so layers 2 ((2-0) % 3 == 2) and 3.
        assertEquals(List.of(false, false, true, true), List.of(0, 1, 2, 3).stream().map(i -> TensorTypes.useMoreBits(i, 4)).toList());
    }
}
