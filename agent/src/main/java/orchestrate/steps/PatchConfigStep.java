package orchestrate.steps;

import orchestrate.event.Facts;
import orchestrate.plan.PlanContext;
import orchestrate.plan.Plannable;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import orchestrate.hub.HubException;
import orchestrate.hub.HubFiles;
import orchestrate.model.ConfigPatch;
import orchestrate.model.Inspection;
import orchestrate.model.PatchException;
import orchestrate.model.ShapeException;
import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.files.AtomicFiles;
import orchestrate.run.Step;
import orchestrate.run.StepContext;
import orchestrate.run.StepException;
import orchestrate.safetensors.DirectoryFiles;
import orchestrate.safetensors.SafetensorsException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code patch-config}: rewrites a checkpoint's config.json to match its tensors, keeping the
 * original as config.json.orig. {@code from: tensors} sets every proven field; {@code base:
 * ORG/NAME} (or a .json file under the workdir) supplies what tensors cannot prove; {@code set:}
 * gives explicit values, refused when the tensors say otherwise.
 */
record PatchConfigStep(String model, boolean fromTensors, String base, String baseRevision, Map<String, String> set) implements Step, ReadsCheckpoint, Plannable {

    @Override
    public String checkpoint() {
        return model;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    static Step parse(Options options) throws RecipeException {
        String model = options.string("model", "a checkpoint directory under the workdir");
        String from = options.optionalString("from", "'tensors'").orElse(null);
        if (from != null && !from.equals("tensors")) {
            throw options.error("from", "'from' of " + options.owner() + " must be 'tensors', not '" + from + "'");
        }
        String base = options.optionalString("base", "a Hub repository ORG/NAME, or a .json file under the workdir").orElse(null);
        String revision = options.optionalString("base-revision", "a branch, tag or commit of the base repository").orElse("main");
        Map<String, String> set = options.stringMap("set", "a mapping of config.json fields to values");
        if (from == null && base == null && set.isEmpty()) {
            throw options.error("model", options.owner() + " changes nothing: give from: tensors, base: ORG/NAME or set: {field: value}");
        }
        return new PatchConfigStep(model, from != null, base, revision, set);
    }

    @Override
    public List<String> outputs() {
        return List.of(model + "/config.json", model + "/config.json.orig");
    }

    @Override
    public boolean plan(PlanContext plan) throws Exception {
        orchestrate.safetensors.CheckpointFiles files = plan.checkpoint(model);
        if (files == null || (base != null && base.endsWith(".json"))) {
            return false; // a local base config is not there before the run
        }
        long before = plan.disk();
        Inspection inspection = Inspection.of(files);
        ObjectNode baseConfig = null;
        if (base != null) {
            HubFiles hub = new HubFiles(plan.environment());
            hub.tokenNotice().ifPresent(plan::notice);
            JsonNode node = JSON.readTree(hub.read(base, baseRevision, "config.json"));
            baseConfig = node instanceof ObjectNode object ? object : null;
        }
        ConfigPatch.Result patched = ConfigPatch.apply(inspection.shape(), inspection.config(), fromTensors, baseConfig, base, set);
        plan.checkpoint(model, new orchestrate.plan.PatchedFiles(files, JSON.writeValueAsString(patched.config())));
        plan.estimate(0, 0, before, patched.changes().size() + " fields of config.json set");
        return true;
    }

    @Override
    public void run(StepContext context) throws Exception {
        Path dir = context.resolve(model);
        Path configFile = dir.resolve("config.json");
        Path originalFile = dir.resolve("config.json.orig");
        Inspection inspection;
        try {
            inspection = Inspection.of(new DirectoryFiles(dir));
        } catch (SafetensorsException | ShapeException e) {
            throw new StepException(e.getMessage());
        }
        ObjectNode base = base(context);
        ConfigPatch.Result patched;
        try {
            patched = ConfigPatch.apply(inspection.shape(), inspection.config(), fromTensors, base, this.base, set);
        } catch (PatchException e) {
            throw new StepException(configFile + ": " + e.getMessage());
        }
        if (inspection.multimodal() && !patched.changes().isEmpty()) {
            // The language model's fields live in text_config; rewriting them there is not built yet.
            throw new StepException(configFile + " describes a multimodal model (its language model under text_config), whose patching "
                    + "is not built yet; the tensors say: " + String.join("; ", patched.changes()));
        }
        if (!Files.exists(originalFile)) {
            byte[] original = Files.exists(configFile) ? Files.readAllBytes(configFile) : "{}\n".getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(originalFile, original);
        }
        if (inspection.multimodal()) {
            context.info("config.json (its text_config) already agrees with the tensors; nothing changed");
            return;
        }
        context.rewrites(model + "/config.json");
        AtomicFiles.write(configFile, (JSON.writerWithDefaultPrettyPrinter().writeValueAsString(patched.config()) + "\n").getBytes(StandardCharsets.UTF_8));
        if (patched.changes().isEmpty()) {
            context.info("config.json already agrees with the tensors; nothing changed");
        } else {
            context.info("config.json patched (the original is kept as config.json.orig):");
            patched.changes().forEach(change -> context.info("  " + change));
            context.fact(Facts.CONFIG_CHANGES, JSON.writeValueAsString(patched.changes()));
        }
    }

    private ObjectNode base(StepContext context) throws IOException, StepException {
        if (base == null) {
            return null;
        }
        byte[] bytes;
        if (base.endsWith(".json")) {
            bytes = Files.readAllBytes(context.resolve(base));
        } else {
            try {
                HubFiles hub = new HubFiles(context.environment());
                hub.tokenNotice().ifPresent(context::info);
                bytes = hub.read(base, baseRevision, "config.json");
            } catch (HubException e) {
                throw new StepException("base " + base + ": " + e.getMessage());
            }
        }
        JsonNode node = JSON.readTree(bytes);
        if (!(node instanceof ObjectNode object)) {
            throw new StepException("base " + base + ": config.json is not a JSON object");
        }
        context.info("base config from " + base + (base.endsWith(".json") ? "" : " at " + baseRevision));
        return object;
    }
}
