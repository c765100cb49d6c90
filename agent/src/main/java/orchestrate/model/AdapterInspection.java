package orchestrate.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import orchestrate.safetensors.Checkpoint;
import orchestrate.safetensors.CheckpointFiles;
import orchestrate.safetensors.SafetensorsException;
import orchestrate.safetensors.StoredTensor;
import orchestrate.safetensors.TensorEntry;

/**
 * A PEFT LoRA adapter held against the base it was trained on, from headers alone: every
 * {@code lora_A}/{@code lora_B} pair must target a base tensor of matching shape (W is out x in, A
 * r x in, B out x r), and what it changes is counted by module. Merging is W + scale * B * A with
 * scale = lora_alpha / r (rsLoRA: lora_alpha / sqrt(r)). What we would not merge faithfully (DoRA,
 * another PEFT type) is refused in one line.
 *
 * @param targets modules changed, by their last name (q_proj: 24), in name order
 * @param saved   tensors the adapter replaces whole (modules_to_save)
 * @param pairs   each changed base tensor (model.layers.0.self_attn.q_proj.weight) with its lora_A and lora_B
 * @param wholes  each replaced base tensor with the adapter's tensor that replaces it
 */
public record AdapterInspection(String name, int rank, double alpha, boolean rsLora, double scale, Map<String, Integer> targets, List<String> saved,
                                long parameters, boolean fanInFanOut, Map<String, Pair> pairs, Map<String, StoredTensor> wholes) {

    /**
     * The two factors of one base tensor's change: for a matrix, A is r x in and B out x r. For a stacked [experts, d1, d2]
     * parameter (target_parameters, PEFT's ParamWrapper), A is [r x experts, d1] with expert e's rows at e * r + k and B is
     * [d2, r x experts] with expert e's columns at k * experts + e; {@code swapped} (PEFT 0.19 on a module not marked
     * transposed) exchanges d1 and d2 in both.
     *
     * @param experts 0 for a matrix
     */
    public record Pair(StoredTensor a, StoredTensor b, int rank, int experts, boolean swapped, double alpha) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "base_model.model.";

    /** @param base the base checkpoint's tensors by name (its language model's, as {@link Inspection} reads them) */
    public static AdapterInspection of(CheckpointFiles adapter, Map<String, TensorEntry> base) throws IOException, SafetensorsException, ShapeException {
        if (!adapter.list().contains("adapter_config.json")) {
            throw new ShapeException(adapter.name() + " has no adapter_config.json; expected a PEFT adapter");
        }
        JsonNode config = JsonFiles.object(TokenizerCheck.readAll(adapter.open("adapter_config.json")), adapter.name() + "/adapter_config.json");
        String type = config.path("peft_type").asText("LORA");
        if (!type.equals("LORA")) {
            throw new ShapeException(adapter.name() + "/adapter_config.json: peft_type is " + type + "; only LORA adapters are merged");
        }
        if (config.path("use_dora").asBoolean(false)) {
            throw new ShapeException(adapter.name() + "/adapter_config.json: use_dora is true; a DoRA adapter rescales each column by a learned "
                    + "magnitude, which merging as W + scale * B * A would get wrong; it is not merged");
        }
        int rank = config.path("r").asInt(0);
        double alpha = config.path("lora_alpha").asDouble(rank);
        boolean rsLora = config.path("use_rslora").asBoolean(false);
        boolean fanInFanOut = config.path("fan_in_fan_out").asBoolean(false);
        if (rank <= 0) {
            throw new ShapeException(adapter.name() + "/adapter_config.json: r is " + config.path("r") + "; expected the adapter's rank, a whole number above 0");
        }
        Map<String, StoredTensor> a = new TreeMap<>();
        Map<String, StoredTensor> b = new TreeMap<>();
        Map<String, StoredTensor> saved = new TreeMap<>();
        long parameters = 0;
        for (StoredTensor stored : Checkpoint.open(adapter).tensors().values()) {
            TensorEntry entry = stored.entry();
            String name = entry.name().startsWith(PREFIX) ? entry.name().substring(PREFIX.length()) : entry.name();
            parameters += entry.elements();
            if (name.endsWith(".lora_A.weight")) {
                a.put(name.substring(0, name.length() - ".lora_A.weight".length()), stored);
            } else if (name.endsWith(".lora_B.weight")) {
                b.put(name.substring(0, name.length() - ".lora_B.weight".length()), stored);
            } else if (name.contains(".lora_")) {
                throw new ShapeException(adapter.name() + ": " + name + " is a LoRA part we do not merge (" + (name.contains("lora_embedding_")
                        ? "a LoRA on an embedding" : name.contains("lora_magnitude") ? "DoRA's magnitude" : name.endsWith(".bias") ? "a LoRA bias, lora_bias"
                        : "not lora_A or lora_B") + "); the adapter is not merged");
            } else {
                saved.put(name, stored);
            }
        }
        List<String> problems = new ArrayList<>();
        Map<String, Integer> targets = new TreeMap<>();
        Map<String, Pair> pairs = new TreeMap<>();
        List<String> parameters3d = new ArrayList<>();
        config.path("target_parameters").forEach(target -> parameters3d.add(target.asText()));
        for (String module : a.keySet()) {
            TensorEntry down = a.get(module).entry();
            TensorEntry up = b.containsKey(module) ? b.get(module).entry() : null;
            TensorEntry weight = base.get(module + ".weight");
            if (up == null) {
                problems.add(module + " has lora_A but no lora_B");
                continue;
            }
            String parameter = stackedParameter(module, parameters3d, base, down, up);
            if (parameter != null) {
                Pair pair = stackedPair(module, parameter, base.get(parameter), a.get(module), b.get(module), problems, alpha(config, parameter, alpha));
                if (pair != null) {
                    targets.merge(parameter.substring(parameter.lastIndexOf('.') + 1), 1, Integer::sum);
                    pairs.put(parameter, pair);
                }
                continue;
            }
            if (weight == null) {
                problems.add(module + " targets " + module + ".weight, which the base does not have");
                continue;
            }
            long[] w = fanInFanOut ? reversed(weight.shape()) : weight.shape();
            if (down.rank() != 2 || up.rank() != 2 || down.dim(0) != up.dim(1) || down.dim(1) != w[1] || up.dim(0) != w[0]) {
                problems.add(module + ": lora_A " + Arrays.toString(down.shape()) + " and lora_B " + Arrays.toString(up.shape()) + " do not make the base's "
                        + Arrays.toString(weight.shape()) + " (expected A [r, " + w[1] + "] and B [" + w[0] + ", r])");
                continue;
            }
            if (!readable(down) || !readable(up)) {
                problems.add(module + ": lora_A is " + down.dtype() + " and lora_B " + up.dtype() + "; expected BF16, F16 or F32");
                continue;
            }
            targets.merge(module.substring(module.lastIndexOf('.') + 1), 1, Integer::sum);
            pairs.put(module + ".weight", new Pair(a.get(module), b.get(module), (int) down.dim(0), 0, false, alpha(config, module, alpha)));
        }
        for (String module : b.keySet()) {
            if (!a.containsKey(module)) {
                problems.add(module + " has lora_B but no lora_A");
            }
        }
        for (Map.Entry<String, StoredTensor> whole : saved.entrySet()) {
            String tensor = whole.getKey();
            TensorEntry entry = whole.getValue().entry();
            if (!base.containsKey(tensor)) {
                problems.add(tensor + " (modules_to_save) replaces a tensor the base does not have");
            } else if (!Arrays.equals(base.get(tensor).shape(), entry.shape())) {
                problems.add(tensor + " (modules_to_save) is " + Arrays.toString(entry.shape()) + ", not the base's shape " + Arrays.toString(base.get(tensor).shape()));
            } else if (!readable(entry)) {
                problems.add(tensor + " (modules_to_save) is " + entry.dtype() + "; expected BF16, F16 or F32");
            }
        }
        if (!problems.isEmpty()) {
            throw new ShapeException(adapter.name() + " does not fit this base: " + String.join("; ", problems));
        }
        if (targets.isEmpty() && saved.isEmpty()) {
            throw new ShapeException(adapter.name() + " changes nothing: it has no lora_A/lora_B pairs and no modules_to_save");
        }
        resolveSquareOrientations(pairs, base, problems);
        if (!problems.isEmpty()) {
            throw new ShapeException(adapter.name() + " does not fit this base: " + String.join("; ", problems));
        }
        double scale = rsLora ? alpha / Math.sqrt(rank) : alpha / rank;
        return new AdapterInspection(adapter.name(), rank, alpha, rsLora, scale, targets, List.copyOf(saved.keySet()), parameters, fanInFanOut, pairs,
                saved);
    }

    /**
     * The stacked parameter a LoRA pair at {@code module} targets, or null for a module's weight matrix. PEFT wraps a
     * module once per targeted parameter, the first registered innermost ({@code experts.base_layer} holds gpt-oss's
     * gate_up_proj when down_proj is targeted too), so the parameter is told by which of the module's targeted
     * parameters the factors' shapes fit.
     */
    private static String stackedParameter(String module, List<String> targets, Map<String, TensorEntry> base, TensorEntry a, TensorEntry b) {
        String owner = module;
        while (owner.endsWith(".base_layer")) {
            owner = owner.substring(0, owner.length() - ".base_layer".length());
        }
        List<String> fitting = new ArrayList<>();
        List<String> named = new ArrayList<>();
        for (String target : targets) {
            String parameter = owner + "." + target.substring(target.lastIndexOf('.') + 1);
            TensorEntry tensor = base.get(parameter);
            if (tensor == null || !(parameter.equals(target) || parameter.endsWith("." + target)) || named.contains(parameter)) {
                continue;
            }
            named.add(parameter);
            if (tensor.rank() == 3 && a.rank() == 2 && b.rank() == 2) {
                long d1 = tensor.dim(1);
                long d2 = tensor.dim(2);
                if ((a.dim(1) == d1 && b.dim(0) == d2) || (a.dim(1) == d2 && b.dim(0) == d1)) {
                    fitting.add(parameter);
                }
            }
        }
        if (fitting.size() == 1) {
            return fitting.get(0);
        }
        return named.size() == 1 ? named.get(0) : null;
    }

    private static Pair stackedPair(String module, String parameter, TensorEntry tensor, StoredTensor a, StoredTensor b, List<String> problems,
                                    double alpha) {
        TensorEntry down = a.entry();
        TensorEntry up = b.entry();
        if (tensor.rank() != 3) {
            problems.add(module + " targets " + parameter + ", which is " + Arrays.toString(tensor.shape()) + "; stacked parameters are [experts, in, out]");
            return null;
        }
        long experts = tensor.dim(0);
        long d1 = tensor.dim(1);
        long d2 = tensor.dim(2);
        boolean fits = down.rank() == 2 && up.rank() == 2 && down.dim(0) == up.dim(1) && down.dim(0) % experts == 0;
        boolean straight = fits && down.dim(1) == d1 && up.dim(0) == d2;
        boolean swapped = fits && down.dim(1) == d2 && up.dim(0) == d1;
        if (!straight && !swapped) {
            problems.add(module + ": lora_A " + Arrays.toString(down.shape()) + " and lora_B " + Arrays.toString(up.shape()) + " do not make " + parameter + "'s "
                    + Arrays.toString(tensor.shape()) + " (expected A [r x " + experts + ", " + d1 + "] and B [" + d2 + ", r x " + experts + "])");
            return null;
        }
        if (!readable(down) || !readable(up)) {
            problems.add(module + ": lora_A is " + down.dtype() + " and lora_B " + up.dtype() + "; expected BF16, F16 or F32");
            return null;
        }
        return new Pair(a, b, (int) (down.dim(0) / experts), (int) experts, !straight, alpha);
    }

    /**
     * A square stacked parameter (gpt-oss-20b's down_proj is [32, 2880, 2880]) fits both layouts; it takes the one the
     * adapter's other stacked pairs prove, as one PEFT version wrote them all. With none to prove it, it is refused.
     */
    private static void resolveSquareOrientations(Map<String, Pair> pairs, Map<String, TensorEntry> base, List<String> problems) {
        List<Boolean> proven = new ArrayList<>();
        List<String> square = new ArrayList<>();
        for (Map.Entry<String, Pair> pair : pairs.entrySet()) {
            if (pair.getValue().experts() > 0) {
                TensorEntry tensor = base.get(pair.getKey());
                if (tensor.dim(1) == tensor.dim(2)) {
                    square.add(pair.getKey());
                } else {
                    proven.add(pair.getValue().swapped());
                }
            }
        }
        if (square.isEmpty()) {
            return;
        }
        if (proven.isEmpty() || proven.contains(true) && proven.contains(false)) {
            problems.add(square.get(0) + " is square, so its LoRA factors fit both PEFT layouts, and no other stacked parameter of the adapter tells which it has");
            return;
        }
        for (String name : square) {
            Pair pair = pairs.get(name);
            pairs.put(name, new Pair(pair.a(), pair.b(), pair.rank(), pair.experts(), proven.get(0), pair.alpha()));
        }
    }

    /**
     * lora_alpha for one target: the first alpha_pattern key that ends the target's path at a dot, as PEFT matches it
     * ({@code (.*\.)?(key)$}), else the adapter's lora_alpha. (The rank is the factors' own, so rank_pattern needs no reading.)
     */
    private static double alpha(JsonNode config, String target, double alpha) {
        for (var entry : (Iterable<Map.Entry<String, JsonNode>>) config.path("alpha_pattern")::fields) {
            java.util.regex.Pattern pattern;
            try {
                pattern = java.util.regex.Pattern.compile("(.*\\.)?(" + entry.getKey() + ")$");
            } catch (java.util.regex.PatternSyntaxException e) {
                pattern = java.util.regex.Pattern.compile("(.*\\.)?(" + java.util.regex.Pattern.quote(entry.getKey()) + ")$");
            }
            if (pattern.matcher(target).matches()) {
                return entry.getValue().asDouble();
            }
        }
        return alpha;
    }

    private static boolean readable(TensorEntry entry) {
        return RowReader.readable(entry.dtype());
    }

    private static long[] reversed(long[] shape) {
        long[] out = shape.clone();
        for (int i = 0; i < out.length / 2; i++) {
            long t = out[i];
            out[i] = out[out.length - 1 - i];
            out[out.length - 1 - i] = t;
        }
        return out;
    }

    /** What a person reads: the rank and scale, then what it changes. */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "adapter %s: LoRA rank %d, alpha %s, scale %s (%s), %d parameters", name, rank, number(alpha), number(scale),
                rsLora ? "rsLoRA: alpha / sqrt(r)" : "alpha / r", parameters));
        lines.add("  changes " + targets.values().stream().mapToInt(Integer::intValue).sum() + " base tensors: "
                + String.join(", ", targets.entrySet().stream().map(e -> e.getKey() + " x" + e.getValue()).toList()));
        if (!saved.isEmpty()) {
            lines.add("  replaces whole (modules_to_save): " + String.join(", ", saved));
        }
        if (pairs.values().stream().anyMatch(pair -> pair.alpha() != alpha)) {
            lines.add("  alpha_pattern gives " + pairs.values().stream().filter(pair -> pair.alpha() != alpha).count() + " of them their own alpha");
        }
        return lines;
    }

    public ObjectNode toJson() {
        ObjectNode node = JSON.createObjectNode().put("adapter", name).put("rank", rank).put("alpha", alpha).put("rslora", rsLora).put("scale", scale)
                .put("parameters", parameters);
        targets.forEach(node.putObject("targets")::put);
        ArrayNode replaced = node.putArray("modules_to_save");
        saved.forEach(replaced::add);
        return node;
    }

    private static String number(double value) {
        return value == Math.rint(value) ? String.valueOf((long) value) : String.format(Locale.ROOT, "%.4g", value);
    }
}
