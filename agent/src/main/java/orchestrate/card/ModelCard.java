package orchestrate.card;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import orchestrate.event.Verification;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A Hugging Face model card (README.md with YAML front matter) for GGUF files: where they come
 * from, what was patched, what each file is (type, size, bits per weight, tensors per ggml type,
 * SHA-256), which llama.cpp proved it and how, and the quality table when one was measured.
 */
public record ModelCard(String title, Source source, List<String> configChanges, List<File> files, List<Verification> verified, Quality quality,
                        List<String> modelfiles) {

    /** The Hub repository and commit the checkpoint was downloaded from, and the license its card declares; any may be null. */
    public record Source(String repo, String commit, String license) {}

    /** One file on disk (a part of a split file is one): its ggml tensor types counted. */
    public record File(String name, String type, long size, double bitsPerWeight, Map<String, Integer> tensorsPerType, String sha256) {}

    /** An evaluate step's table, as its facts carry it: one object per file, the baseline first. */
    public record Quality(String by, JsonNode files) {}

    public String render() {
        StringBuilder out = new StringBuilder("---\n");
        if (source.repo() != null) {
            out.append("base_model: ").append(source.repo()).append('\n');
        }
        out.append("quantized_by: orchestrate\n");
        out.append("tags:\n- gguf\n- llama.cpp\n");
        if (source.license() != null) {
            out.append("license: ").append(source.license()).append('\n');
        }
        out.append("---\n\n# ").append(title).append(" GGUF\n\n");
        if (source.repo() != null) {
            out.append("GGUF files of [").append(source.repo()).append("](https://huggingface.co/").append(source.repo()).append(")");
            if (source.commit() != null) {
                out.append(" at commit [`").append(source.commit(), 0, Math.min(12, source.commit().length())).append("`](https://huggingface.co/")
                        .append(source.repo()).append("/tree/").append(source.commit()).append(")");
            }
            out.append(", ");
        } else {
            out.append("GGUF files ");
        }
        out.append("written by orchestrate straight from the safetensors, with llama-quantize's per-tensor types; every block is bit for bit "
                + "what llama.cpp's own quantizers write.\n");
        if (!configChanges.isEmpty()) {
            out.append("\n## config.json, patched from the tensors\n\nThe checkpoint's config.json disagreed with its tensors; before conversion these "
                    + "fields were set from the tensors (the original is kept as config.json.orig):\n\n");
            configChanges.forEach(change -> out.append("- ").append(cell(change)).append('\n'));
        }
        out.append("\n## Files\n\n| File | Type | Size | Bits per weight | Tensors | SHA-256 |\n|---|---|---:|---:|---|---|\n");
        for (File file : files) {
            out.append(String.format(Locale.ROOT, "| `%s` | %s | %s | %.2f | %s | `%s` |%n", file.name(), file.type(), size(file.size()), file.bitsPerWeight(),
                    file.tensorsPerType().entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining(", ")), file.sha256()));
        }
        if (!verified.isEmpty()) {
            out.append("\n## Verified\n\nEach file was read back (every tensor and key its architecture needs) and then loaded by llama.cpp, "
                    + "which generated from a prompt:\n\n| File | Loaded by | Speed | Sample |\n|---|---|---:|---|\n");
            for (Verification check : verified) {
                boolean passed = check.passed();
                out.append("| `").append(check.file()).append("` | ").append(passed ? cell(check.by()) : "not loaded: " + cell(check.detail())).append(" | ")
                        .append(passed ? check.tokensPerSecond() + " tokens/s" : "").append(" | ").append(passed ? code(check.sample()) : "").append(" |\n");
            }
        }
        if (quality != null) {
            out.append("\n## Quality\n\nMeasured by ").append(cell(quality.by())).append(" (llama-perplexity): perplexity, and the KL divergence of "
                    + "each file's next-token distribution from the baseline's, on the same text.\n\n"
                    + "| File | Bits per weight | PPL | ΔPPL | Mean KLD | KLD 99 % | Same top token |\n|---|---:|---:|---:|---:|---:|---:|\n");
            boolean first = true;
            for (JsonNode row : quality.files()) {
                out.append(String.format(Locale.ROOT, "| `%s` | %.2f | %.4f ± %.4f | %s | %s | %s | %s |%n", row.path("file").asText(),
                        row.path("bits_per_weight").asDouble(), row.path("ppl").asDouble(), row.path("ppl_error").asDouble(),
                        first ? "baseline" : String.format(Locale.ROOT, "%+.4f", row.path("delta_ppl").asDouble()),
                        first ? "" : String.format(Locale.ROOT, "%.6f", row.path("mean_kld").asDouble()),
                        first ? "" : String.format(Locale.ROOT, "%.6f", row.path("kld_99").asDouble()),
                        first ? "" : String.format(Locale.ROOT, "%.2f %%", row.path("same_top_percent").asDouble())));
                first = false;
            }
        }
        out.append("\n## Use\n\nWith llama.cpp (a file in parts is loaded from its first part):\n\n```\n");
        files.stream().filter(f -> !f.name().matches(".*-\\d{5}-of-\\d{5}\\.gguf") || f.name().matches(".*-00001-of-\\d{5}\\.gguf")).findFirst()
                .ifPresent(f -> out.append("llama-cli -m ").append(f.name()).append(" -p \"Hello\"\n"));
        out.append("```\n");
        if (!modelfiles.isEmpty()) {
            out.append("\nWith Ollama, from the folder holding the files:\n\n```\n");
            modelfiles.forEach(m -> out.append("ollama create ").append(m.replaceFirst("\\.Modelfile$", "").toLowerCase(Locale.ROOT)).append(" -f ").append(m)
                    .append('\n'));
            out.append("```\n");
        }
        return out.toString();
    }

    /** Text that stays one table cell: no line breaks, pipes escaped. */
    private static String cell(String text) {
        return text == null ? "" : text.replaceAll("\\s+", " ").strip().replace("|", "\\|");
    }

    /** Generated text as a code span, so that Markdown (and the Hub's math) leaves it as it is. */
    private static String code(String text) {
        return text == null ? "" : "`" + cell(text).replace('`', '\'') + "`";
    }

    private static String size(long bytes) {
        return bytes >= 1_000_000_000L ? String.format(Locale.ROOT, "%.2f GB", bytes / 1e9) : String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
