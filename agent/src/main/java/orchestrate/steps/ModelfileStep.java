package orchestrate.steps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import orchestrate.card.Modelfile;
import orchestrate.card.OllamaTemplates;
import orchestrate.files.AtomicFiles;
import orchestrate.files.Parts;
import orchestrate.gguf.GgufException;
import orchestrate.gguf.GgufFile;
import orchestrate.gguf.GgufValue;
import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.run.Journal;
import orchestrate.run.Step;
import orchestrate.run.StepContext;
import orchestrate.run.StepException;

/**
 * {@code modelfile}: an Ollama Modelfile beside each GGUF file ({@code model.gguf} gets {@code
 * model.Modelfile}), so that {@code ollama create} works at once: the chat template comes from
 * the GGUF itself, translated where we can do it exactly, and the sampling defaults from the
 * checkpoint's generation_config.json (the one the recipe downloaded, or {@code generation-config}).
 */
record ModelfileStep(List<String> files, String generationConfig) implements Step, InRecipe {

    private static final ObjectMapper JSON = new ObjectMapper();

    static Step parse(Options options) throws RecipeException {
        return new ModelfileStep(options.strings("files", "GGUF files under the workdir"),
                options.optionalString("generation-config", "a generation_config.json under the workdir").orElse(null));
    }

    /** Without 'files', every GGUF file the recipe brings home gets one. */
    @Override
    public Step within(Surroundings surroundings) throws RecipeException {
        if (!files.isEmpty()) {
            return this;
        }
        return new ModelfileStep(surroundings.ggufArtifacts("write Modelfiles for"), generationConfig);
    }

    @Override
    public List<String> outputs() {
        return files.stream().map(ModelfileStep::modelfile).toList();
    }

    static String modelfile(String gguf) {
        return gguf.replaceFirst("\\.gguf$", "") + ".Modelfile";
    }

    @Override
    public void run(StepContext context) throws Exception {
        JsonNode sampling = generationConfig(context);
        for (String file : GgufNames.resolve(context, files, "modelfile")) {
            Path whole = context.resolve(file);
            List<Path> parts = Parts.of(whole);
            if (parts.isEmpty()) {
                throw new StepException(file + " is not in the workdir: a Modelfile is written beside a GGUF file an earlier step wrote");
            }
            String template;
            try {
                template = java.util.Optional.ofNullable(GgufFile.read(parts.get(0)).metadata().get("tokenizer.chat_template")).map(GgufValue::asString).orElse(null);
            } catch (GgufException e) {
                throw new StepException(e.getMessage());
            }
            String name = whole.getFileName().toString();
            String stem = name.replaceFirst("\\.gguf$", "");
            String from = parts.size() == 1 ? parts.get(0).getFileName().toString() : stem + "-*.gguf";
            AtomicFiles.write(context.resolve(modelfile(file)), Modelfile.render(stem, from, parts.size(), template, sampling).getBytes(StandardCharsets.UTF_8));
            String says = template == null ? "no chat template in the GGUF"
                    : OllamaTemplates.of(template).map(t -> "the chat template as Ollama's (" + t.name() + ")")
                            .orElse("no TEMPLATE: the GGUF's chat template is not one translated exactly; Ollama reads it from the GGUF");
            context.info("wrote " + modelfile(file) + ": " + says + (sampling == null ? "" : "; sampling from generation_config.json"));
        }
    }

    /** The recipe's generation-config, else the one a download step brought, else none. */
    private JsonNode generationConfig(StepContext context) throws Exception {
        String path = generationConfig;
        if (path == null) {
            path = context.earlier().stream().filter(step -> "download".equals(step.kind())).flatMap(step -> step.outputs().stream())
                    .map(Journal.Output::path).filter(p -> p.matches("([^/]+/)?generation_config\\.json")).findFirst().orElse(null);
        }
        if (path == null) {
            return null;
        }
        Path file = context.resolve(path);
        if (!Files.isRegularFile(file)) {
            throw new StepException("generation-config " + path + " is not in the workdir");
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new StepException(path + " is not JSON: " + e.getOriginalMessage());
        }
    }
}
