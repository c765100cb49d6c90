package orchestrate.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import orchestrate.safetensors.Checkpoint;
import orchestrate.safetensors.CheckpointFiles;
import orchestrate.safetensors.SafetensorsException;
import orchestrate.safetensors.StoredTensor;
import orchestrate.safetensors.TensorEntry;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Everything {@code inspect} learns about a checkpoint: its true shape, the verdict on each claim, the tokenizer.
 *
 * @param tensors the language model's headers by name, MXFP4 experts as the tensors they stand for (what an adapter targets)
 */
public record Inspection(String name, ModelShape shape, List<Finding> findings, TokenizerCheck.Result tokenizer,
                         List<String> warnings, ObjectNode config, boolean multimodal, Map<String, TensorEntry> tensors) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static Inspection of(CheckpointFiles files) throws IOException, SafetensorsException, ShapeException {
        Checkpoint checkpoint = Checkpoint.open(files);
        Map<String, StoredTensor> all = checkpoint.tensors();
        Map<String, TensorEntry> tensors = entries(LanguageModel.tensors(all));
        ObjectNode config = JSON.createObjectNode();
        List<String> warnings = new ArrayList<>(checkpoint.warnings());
        boolean multimodal = false;
        if (files.list().contains("config.json")) {
            ObjectNode raw = JsonFiles.object(TokenizerCheck.readAll(files.open("config.json")), "config.json in " + files.name());
            multimodal = LanguageModel.multimodal(raw);
            config = LanguageModel.config(raw);
        } else {
            warnings.add("no config.json: every field below is missing");
        }
        BitsAndBytes.refuse(files.name(), tensors, config);
        Optional<String> unsupported = Family.unsupportedClaim(config);
        if (unsupported.isPresent()) {
            throw new ShapeException("config.json in " + files.name() + " names " + unsupported.get() + ", an architecture orchestrate does not support yet, "
                    + "so its fields are not judged against the tensors; supported: " + String.join(", ", Family.supported()));
        }
        ModelShape shape = ShapeInference.infer(tensors);
        if (LanguageModel.leftOut(all) > 0) {
            warnings.add(LanguageModel.leftOut(all) + " tensors of the vision tower and projector are left out: the GGUF holds the language model");
        }
        TokenizerCheck.Result tokenizer = TokenizerCheck.of(files, config, shape.vocabRows());
        return new Inspection(files.name(), shape, Diagnosis.of(shape, config), tokenizer, warnings, config, multimodal,
                entries(PackedExperts.logical(LanguageModel.tensors(all), new HashMap<>())));
    }

    /** The headers of a checkpoint's language model by tensor name, as {@link #tensors()} has them, without judging the checkpoint. */
    public static Map<String, TensorEntry> tensors(CheckpointFiles files) throws IOException, SafetensorsException, ShapeException {
        return entries(PackedExperts.logical(LanguageModel.tensors(Checkpoint.open(files).tensors()), new HashMap<>()));
    }

    /** Each stored tensor's header, by name. */
    static Map<String, TensorEntry> entries(Map<String, StoredTensor> stored) {
        Map<String, TensorEntry> tensors = new LinkedHashMap<>();
        stored.forEach((name, tensor) -> tensors.put(name, tensor.entry()));
        return tensors;
    }

    public boolean contradicted() {
        return all().stream().anyMatch(f -> f.verdict() == Finding.Verdict.CONTRADICTED);
    }

    public List<Finding> all() {
        List<Finding> all = new ArrayList<>(findings);
        all.addAll(tokenizer.findings());
        return all;
    }

    /** The report a person reads: a summary line, the table, notes, warnings and tokenizer hashes. */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        ModelShape s = shape;
        Family.Variant variant = s.family().claimedBy(config);
        lines.add(name + ": " + variant.modelType() + " (" + variant.architecture() + "), " + s.layers() + " layers, hidden "
                + s.hidden() + ", intermediate " + s.intermediate() + ", " + s.vocabRows() + " vocabulary rows" + (s.tied() ? " (tied lm_head)" : "")
                + ", " + (s.fusedQkv() ? "fused qkv_proj" : "separate q/k/v") + ", " + (s.experts() > 0 ? s.experts() + " experts" : s.fusedGateUp() ? "fused gate_up_proj" : s.family() == Family.PHI2 ? "fc1/fc2" : "separate gate/up")
                + ", " + (s.attentionBias() ? "attention biases" : "no attention biases") + ", " + s.norm() + " norm");
        lines.add(String.format(Locale.ROOT, "%d tensors, %s parameters, %s, dtypes %s", s.tensorCount(), count(s.parameters()),
                bytes(s.bytes()), s.dtypes().keySet()));
        List<Finding> all = all();
        int field = Math.max(5, all.stream().mapToInt(f -> f.field().length()).max().orElse(5));
        int config = Math.max(11, all.stream().mapToInt(f -> f.config().length()).max().orElse(11));
        int tensors = Math.max(11, all.stream().mapToInt(f -> f.tensors().length()).max().orElse(11));
        String format = "  %-" + field + "s  %-" + config + "s  %-" + tensors + "s  %s";
        lines.add(String.format(format, "field", "config says", "tensors say", "verdict"));
        List<String> notes = new ArrayList<>();
        for (Finding f : all) {
            lines.add(String.format(format, f.field(), f.config(), f.tensors(), f.verdict()).stripTrailing());
            if (f.note() != null && f.verdict() != Finding.Verdict.OK && notes.stream().noneMatch(n -> n.endsWith(": " + f.note()))) {
                notes.add("  " + f.field() + ": " + f.note());
            }
        }
        lines.addAll(notes);
        warnings.forEach(w -> lines.add("  warning: " + w));
        tokenizer.sha256().forEach((file, sha) -> lines.add("  sha256 " + sha + "  " + file));
        long contradictions = all.stream().filter(f -> f.verdict() == Finding.Verdict.CONTRADICTED).count();
        boolean headsWrong = !shape.headsProven() && all.stream().anyMatch(f -> f.field().equals("num_attention_heads")
                && (f.verdict() == Finding.Verdict.CONTRADICTED || f.verdict() == Finding.Verdict.MISSING));
        lines.add(contradictions == 0 ? "config.json agrees with the tensors"
                : contradictions + " claims of config.json are CONTRADICTED by the tensors: a patch-config step with from: tensors fixes them"
                        + (headsWrong ? ", and base: ORG/NAME (the model it was tuned from) or set: supplies the head counts" : ""));
        return lines;
    }

    public ObjectNode toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("checkpoint", name);
        ObjectNode s = root.putObject("tensors");
        s.put("family", shape.family().claimedBy(config).modelType()).put("architecture", shape.family().claimedBy(config).architecture())
                .put("layers", shape.layers()).put("hidden_size", shape.hidden()).put("intermediate_size", shape.intermediate())
                .put("vocab_rows", shape.vocabRows()).put("output_rows", shape.outputRows()).put("tied", shape.tied())
                .put("fused_qkv", shape.fusedQkv()).put("fused_gate_up", shape.fusedGateUp()).put("experts", shape.experts())
                .put("q_width", shape.qWidth()).put("kv_width", shape.kvWidth()).put("heads_proven", shape.headsProven())
                .put("attention_bias", shape.attentionBias()).put("mlp_bias", shape.mlpBias()).put("norm", shape.norm())
                .put("parameters", shape.parameters()).put("bytes", shape.bytes()).put("tensor_count", shape.tensorCount());
        ArrayNode layouts = s.putArray("head_layouts");
        shape.headLayouts().forEach(l -> layouts.addObject().put("head_dim", l.headDim()).put("heads", l.heads()).put("kv_heads", l.kvHeads()));
        shape.dtypes().forEach(s.putObject("dtype_elements")::put);
        ArrayNode rows = root.putArray("findings");
        for (Finding f : all()) {
            ObjectNode row = rows.addObject().put("field", f.field()).put("config", f.config()).put("tensors", f.tensors())
                    .put("verdict", f.verdict().toString());
            if (f.note() != null) {
                row.put("note", f.note());
            }
        }
        root.put("tokenizer_ids", tokenizer.tokens());
        tokenizer.sha256().forEach(root.putObject("sha256")::put);
        warnings.forEach(root.putArray("warnings")::add);
        return root;
    }

    private static String count(long n) {
        return n >= 1_000_000_000 ? String.format(Locale.ROOT, "%.2f B", n / 1e9)
                : n >= 1_000_000 ? String.format(Locale.ROOT, "%.2f M", n / 1e6) : String.valueOf(n);
    }

    private static String bytes(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }
}
