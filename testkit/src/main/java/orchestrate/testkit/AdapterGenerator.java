package orchestrate.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a PEFT LoRA adapter for a base of llama's layout, as PEFT saves one: adapter_config.json and
 * adapter_model.safetensors with {@code base_model.model.<module>.lora_A.weight} [r, in] and
 * {@code lora_B.weight} [out, r] for each targeted module of every layer.
 */
public final class AdapterGenerator {

    private static final ObjectMapper JSON = new ObjectMapper();

    private AdapterGenerator() {}

    /**
     * @param modules the projections to adapt: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj
     * @param config  fields laid over the written adapter_config.json (use_rslora, use_dora, peft_type, ...); lora_bias: true also writes
     *                lora_B's biases
     */
    public static void write(CheckpointSpec base, Path dir, int rank, double alpha, List<String> modules, Map<String, Object> config, long seed)
            throws IOException {
        write(base, dir, rank, alpha, modules, List.of(), config, seed);
    }

    /**
     * @param saved base tensors the adapter replaces whole (modules_to_save): model.embed_tokens.weight or lm_head.weight,
     *              written as PEFT saves them, {@code base_model.model.<name>}
     */
    public static void write(CheckpointSpec base, Path dir, int rank, double alpha, List<String> modules, List<String> saved, Map<String, Object> config,
                             long seed) throws IOException {
        Files.createDirectories(dir);
        long h = base.hidden();
        long q = (long) base.heads() * base.headDim();
        long kv = (long) base.kvHeads() * base.headDim();
        long f = base.intermediate();
        List<SafetensorsFile.Tensor> tensors = new ArrayList<>();
        for (int layer = 0; layer < base.layers(); layer++) {
            for (String module : modules) {
                long[] outIn = switch (module) {
                    case "q_proj" -> new long[] {q, h};
                    case "k_proj", "v_proj" -> new long[] {kv, h};
                    case "o_proj" -> new long[] {h, q};
                    case "gate_proj", "up_proj" -> new long[] {f, h};
                    case "down_proj" -> new long[] {h, f};
                    default -> throw new IllegalArgumentException(module);
                };
                String block = List.of("gate_proj", "up_proj", "down_proj").contains(module) ? "mlp." : "self_attn.";
                String path = "base_model.model.model.layers." + layer + "." + block + module;
                tensors.add(bf16(path + ".lora_A.weight", seed, rank, outIn[1]));
                tensors.add(bf16(path + ".lora_B.weight", seed, outIn[0], rank));
                if (Boolean.TRUE.equals(config.get("lora_bias"))) {
                    tensors.add(bf16(path + ".lora_B.bias", seed, 1, outIn[0])); // PEFT's lora_bias: B has a bias
                }
            }
        }
        for (String tensor : saved) {
            if (!tensor.equals("model.embed_tokens.weight") && !tensor.equals("lm_head.weight")) {
                throw new IllegalArgumentException(tensor);
            }
            tensors.add(bf16("base_model.model." + tensor, seed, base.vocabRows(), h));
        }
        SafetensorsFile.write(dir.resolve("adapter_model.safetensors"), tensors, Map.of("format", "pt"));
        ObjectNode adapterConfig = JSON.createObjectNode().put("peft_type", "LORA").put("r", rank).put("lora_alpha", alpha).put("use_rslora", false)
                .put("use_dora", false).put("fan_in_fan_out", false).put("base_model_name_or_path", "org/base").put("task_type", "CAUSAL_LM");
        adapterConfig.set("target_modules", JSON.valueToTree(modules));
        if (saved.isEmpty()) {
            adapterConfig.putNull("modules_to_save");
        } else {
            adapterConfig.set("modules_to_save", JSON.valueToTree(saved.stream().map(t -> t.substring(t.lastIndexOf('.', t.length() - 8) + 1,
                    t.length() - ".weight".length())).toList()));
        }
        config.forEach((key, value) -> adapterConfig.set(key, JSON.valueToTree(value)));
        Files.writeString(dir.resolve("adapter_config.json"), adapterConfig.toPrettyString());
    }

    /**
     * A PEFT adapter for a gpt-oss base as the OpenAI cookbook trains one: q/k/v/o_proj of every layer (target_modules)
     * and, on {@code expertLayers}, the stacked experts' gate_up_proj and down_proj (target_parameters), named as PEFT
     * nests the two wrappers of one module (gate_up_proj's in {@code experts.base_layer}). A is [r x experts, d1] and B
     * [d2, r x experts] for a [experts, d1, d2] parameter; {@code swapped} writes PEFT 0.19's exchanged layout.
     */
    public static void writeGptOss(GptOssGenerator.Spec base, Path dir, int rank, double alpha, List<Integer> expertLayers, boolean swapped, long seed)
            throws IOException {
        Files.createDirectories(dir);
        long h = base.hidden();
        long q = (long) base.heads() * base.headDim();
        long kv = (long) base.kvHeads() * base.headDim();
        long e = base.experts();
        long f = base.ff();
        List<SafetensorsFile.Tensor> tensors = new ArrayList<>();
        List<String> parameters = new ArrayList<>();
        for (int layer = 0; layer < base.layers(); layer++) {
            String path = "base_model.model.model.layers." + layer + ".";
            for (String module : List.of("q_proj", "k_proj", "v_proj", "o_proj")) {
                long out = module.equals("q_proj") ? q : module.equals("o_proj") ? h : kv;
                long in = module.equals("o_proj") ? q : h;
                tensors.add(bf16(path + "self_attn." + module + ".lora_A.weight", seed, rank, in));
                tensors.add(bf16(path + "self_attn." + module + ".lora_B.weight", seed, out, rank));
            }
            if (expertLayers.contains(layer)) {
                long[][] stacked = {{h, 2 * f}, {f, h}}; // gate_up_proj [e, h, 2f], down_proj [e, f, h]
                String[] wrappers = {"mlp.experts.base_layer.", "mlp.experts."};
                for (int p = 0; p < 2; p++) {
                    long d1 = swapped ? stacked[p][1] : stacked[p][0];
                    long d2 = swapped ? stacked[p][0] : stacked[p][1];
                    tensors.add(bf16(path + wrappers[p] + "lora_A.weight", seed, rank * e, d1));
                    tensors.add(bf16(path + wrappers[p] + "lora_B.weight", seed, d2, rank * e));
                }
                parameters.add(layer + ".mlp.experts.gate_up_proj");
                parameters.add(layer + ".mlp.experts.down_proj");
            }
        }
        SafetensorsFile.write(dir.resolve("adapter_model.safetensors"), tensors, Map.of("format", "pt"));
        ObjectNode adapterConfig = JSON.createObjectNode().put("peft_type", "LORA").put("r", rank).put("lora_alpha", alpha).put("use_rslora", false)
                .put("use_dora", false).put("fan_in_fan_out", false).put("base_model_name_or_path", "unsloth/gpt-oss-20b-BF16").put("task_type", "CAUSAL_LM");
        adapterConfig.set("target_modules", JSON.valueToTree(List.of("q_proj", "k_proj", "v_proj", "o_proj")));
        adapterConfig.set("target_parameters", JSON.valueToTree(parameters));
        adapterConfig.putNull("modules_to_save");
        Files.writeString(dir.resolve("adapter_config.json"), adapterConfig.toPrettyString());
    }

    private static SafetensorsFile.Tensor bf16(String name, long seed, long rows, long columns) {
        int count = Math.toIntExact(rows * columns);
        return new SafetensorsFile.Tensor(name, rows == 1 && name.endsWith(".bias") ? new long[] {columns} : new long[] {rows, columns}, () -> {
            SplittableRandom random = new SplittableRandom(seed ^ name.hashCode());
            byte[] data = new byte[count * 2];
            for (int i = 0; i < count; i++) {
                short value = SafetensorsFile.bf16((float) (random.nextDouble() - 0.5) * 0.02f);
                data[2 * i] = (byte) value;
                data[2 * i + 1] = (byte) (value >>> 8);
            }
            return data;
        });
    }
}
