package orchestrate.steps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import orchestrate.card.ModelCard;
import orchestrate.event.Facts;
import orchestrate.event.Verification;
import orchestrate.files.AtomicFiles;
import orchestrate.files.Parts;
import orchestrate.files.Workdir;
import orchestrate.gguf.GgmlType;
import orchestrate.gguf.GgufException;
import orchestrate.gguf.GgufFile;
import orchestrate.gguf.GgufTensorInfo;
import orchestrate.gguf.GgufValue;
import orchestrate.quant.FileType;
import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.run.Journal;
import orchestrate.run.Step;
import orchestrate.run.StepContext;
import orchestrate.run.StepException;

/**
 * {@code card}: a Hugging Face model card ({@code README.md}) for the recipe's GGUF files, from
 * what the run itself recorded: the download's repository and commit, patch-config's changes, each
 * file read back (type, size, bits per weight, tensors per ggml type) with the SHA-256 the journal
 * holds, the verify steps' proof and the evaluate step's table. Nothing on it is typed by hand.
 */
record CardStep(List<String> files, String to, String license, String title) implements Step, InRecipe {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** {@code license: mit} in a card's front matter: a bare identifier, as the Hub's license list spells them. */
    private static final Pattern LICENSE = Pattern.compile("(?m)^license:\\s*['\"]?([A-Za-z0-9.+_-]+)['\"]?\\s*$");
    private static final Pattern LICENSE_VALUE = Pattern.compile("[A-Za-z0-9.+_-]+");

    static Step parse(Options options) throws RecipeException {
        List<String> files = options.strings("files", "GGUF files under the workdir");
        String to = options.optionalString("to", "a file path under the workdir").orElse("README.md");
        String license = options.optionalString("license", "a license identifier such as apache-2.0 or mit").orElse(null);
        if (license != null && !LICENSE_VALUE.matcher(license).matches()) {
            throw options.error("license", "'license' of " + options.owner() + " must be a license identifier such as apache-2.0 or mit, not '" + license + "'");
        }
        return new CardStep(files, to, license, options.optionalString("title", "the card's title").orElse(null));
    }

    /** Without 'files', the card describes every GGUF file the recipe brings home. */
    @Override
    public Step within(Surroundings surroundings) throws RecipeException {
        if (!files.isEmpty()) {
            return this;
        }
        return new CardStep(surroundings.ggufArtifacts("describe"), to, license, title);
    }

    @Override
    public List<String> outputs() {
        return List.of(to);
    }

    @Override
    public void run(StepContext context) throws Exception {
        List<ModelCard.File> described = new ArrayList<>();
        String name = title;
        for (String file : GgufNames.resolve(context, files, "card")) {
            Path whole = context.resolve(file);
            List<Path> onDisk = Parts.of(whole);
            if (onDisk.isEmpty()) {
                throw new StepException(file + " is not in the workdir: the card describes files an earlier step wrote");
            }
            String type = null; // a split file's later parts carry no metadata but the split keys: its first part says the type
            for (Path path : onDisk) {
                GgufFile gguf;
                try {
                    gguf = GgufFile.read(path);
                } catch (GgufException e) {
                    throw new StepException(e.getMessage());
                }
                if (name == null) {
                    name = Optional.ofNullable(gguf.metadata().get("general.name")).map(GgufValue::asString).orElse(null);
                }
                type = type == null ? fileType(gguf) : type;
                described.add(describe(context, path, gguf, type));
            }
        }
        ModelCard card = new ModelCard(name != null ? name : files.get(0).replaceFirst("\\.gguf$", ""), source(context), configChanges(context), described,
                verified(context, described), quality(context), modelfiles(context));
        AtomicFiles.write(context.resolve(to), card.render().getBytes(StandardCharsets.UTF_8));
        context.info("wrote " + to + ": a model card for " + described.size() + " file" + (described.size() == 1 ? "" : "s"));
    }

    private static ModelCard.File describe(StepContext context, Path path, GgufFile gguf, String type) throws IOException {
        String relative = Workdir.relativize(context.workdir(), path);
        long size = Files.size(path);
        String sha256 = context.sha256(path);
        Map<String, Integer> perType = new TreeMap<>();
        long elements = 0;
        long bytes = 0;
        for (GgufTensorInfo tensor : gguf.tensors()) {
            perType.merge(tensor.type().name(), 1, Integer::sum);
            elements += tensor.elements();
            bytes += tensor.bytes();
        }
        return new ModelCard.File(relative, type, size, elements == 0 ? 0 : bytes * 8.0 / elements, perType, sha256);
    }

    /** The llama-quantize file type general.file_type names (F32 and F16 files have their own ids). */
    private static String fileType(GgufFile gguf) {
        GgufValue value = gguf.metadata().get("general.file_type");
        if (value == null) {
            return "(not recorded)";
        }
        long id = value.asLong();
        if (id == 0) {
            return GgmlType.F32.name();
        }
        for (FileType type : FileType.values()) {
            if (type.id() == id) {
                return type.name();
            }
        }
        return "file type " + id;
    }

    private ModelCard.Source source(StepContext context) throws IOException, StepException {
        for (StepContext.Earlier step : context.earlier()) {
            String repo = step.facts().get(Facts.SOURCE_REPO);
            if ("download".equals(step.kind()) && repo != null) {
                return new ModelCard.Source(repo, step.facts().get(Facts.SOURCE_COMMIT), licenseFrom(context, step));
            }
        }
        return new ModelCard.Source(null, null, license);
    }

    /** The recipe's license, else the one the downloaded model card declares in its front matter. */
    private String licenseFrom(StepContext context, StepContext.Earlier download) throws IOException, StepException {
        if (license != null) {
            return license;
        }
        for (Journal.Output output : download.outputs()) {
            if (output.path().matches("([^/]+/)?README\\.md")) {
                String text = Files.readString(context.resolve(output.path()), StandardCharsets.UTF_8);
                if (text.startsWith("---")) {
                    int end = text.indexOf("\n---", 3);
                    Matcher matcher = LICENSE.matcher(end < 0 ? "" : text.substring(3, end));
                    if (matcher.find()) {
                        return matcher.group(1);
                    }
                }
            }
        }
        return null;
    }

    private static List<String> configChanges(StepContext context) throws IOException {
        List<String> changes = new ArrayList<>();
        for (StepContext.Earlier step : context.earlier()) {
            String json = step.facts().get(Facts.CONFIG_CHANGES);
            if (json != null) {
                JSON.readTree(json).forEach(change -> changes.add(change.asText()));
            }
        }
        return changes;
    }

    /** What the verify steps proved of the card's files (of a split file, its first part). */
    private static List<Verification> verified(StepContext context, List<ModelCard.File> described) {
        List<String> names = described.stream().map(ModelCard.File::name).toList();
        return context.earlier().stream().flatMap(step -> Verification.in(step.facts()).stream()).filter(v -> names.contains(v.file())).toList();
    }

    private static ModelCard.Quality quality(StepContext context) throws IOException {
        ModelCard.Quality last = null;
        for (StepContext.Earlier step : context.earlier()) {
            String table = step.facts().get(Facts.EVALUATION);
            if (table != null) {
                JsonNode rows = JSON.readTree(table);
                last = new ModelCard.Quality(step.facts().get(Facts.EVALUATED_BY), rows);
            }
        }
        return last;
    }

    /** The Modelfiles earlier steps wrote, for the card's "Use" section. */
    private static List<String> modelfiles(StepContext context) {
        return context.earlier().stream().flatMap(step -> step.outputs().stream()).map(Journal.Output::path).filter(p -> p.endsWith(".Modelfile")).toList();
    }
}
