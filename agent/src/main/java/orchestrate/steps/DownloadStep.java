package orchestrate.steps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Optional;
import orchestrate.event.Event;
import orchestrate.event.Facts;
import orchestrate.hub.HubRepo;
import orchestrate.model.Family;
import orchestrate.safetensors.ByteSource;
import orchestrate.plan.PlanContext;
import orchestrate.plan.Plannable;
import orchestrate.hub.HubException;
import orchestrate.hub.RepoDownload;
import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.run.Step;
import orchestrate.run.StepContext;
import orchestrate.run.StepException;
import orchestrate.files.Workdir;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import orchestrate.retry.Backoff;

/**
 * {@code download}: a Hugging Face repository pinned to one commit, brought into a directory of
 * the workdir: several files at once, large files over several connections, resumable across
 * restarts, every file verified before it takes its name.
 */
record DownloadStep(RepoDownload.Options options, String to, String endpoint, boolean checksArchitecture) implements Step, Plannable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]?)(i?B)?", Pattern.CASE_INSENSITIVE);

    static Step parse(Options o) throws RecipeException {
        String repo = o.string("repo", "a Hub repository, ORG/NAME");
        if (!repo.isEmpty() && !repo.matches("[\\w.-]+/[\\w.-]+")) {
            throw o.error("repo", "'repo' of " + o.owner() + " must be ORG/NAME, not '" + repo + "'");
        }
        String type = o.optionalString("repo-type", "model or dataset").orElse("model");
        if (!type.equals("model") && !type.equals("dataset")) {
            throw o.error("repo-type", "'repo-type' of " + o.owner() + " must be model or dataset, not '" + type + "'");
        }
        String revision = o.optionalString("revision", "a branch, tag or commit").orElse("main");
        String to = o.optionalString("to", "a directory under the workdir").orElse(repo.contains("/") ? repo.substring(repo.indexOf('/') + 1) : "model");
        List<String> include = o.strings("include", "glob patterns of files to download");
        List<String> exclude = o.strings("exclude", "glob patterns of files to skip");
        int parallelFiles = whole(o, "parallel-files", 4, 1, 64);
        Integer connections = o.optionalString("connections-per-file", "a whole number from 1 to 64").isPresent()
                ? whole(o, "connections-per-file", 8, 1, 64) : null;
        long chunk = size(o, "chunk-size", 64L << 20);
        int timeout = whole(o, "read-timeout", 60, 1, 3600);
        int retries = whole(o, "retries", 8, 1, 100);
        String endpoint = o.optionalString("endpoint", "a Hub mirror URL").orElse(null);
        return new DownloadStep(new RepoDownload.Options(type, repo, revision, include, exclude, parallelFiles, connections, chunk,
                Duration.ofSeconds(timeout), retries, new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60))), to, endpoint, false);
    }

    /** This download, refusing before any weight is fetched a checkpoint whose config.json names a class we cannot convert (a later step reads it as a model). */
    DownloadStep checkingArchitecture() {
        return new DownloadStep(options, to, endpoint, true);
    }

    @Override
    public List<String> outputs() {
        return List.of(to);
    }

    @Override
    public boolean plan(PlanContext plan) throws Exception {
        Map<String, String> environment = new HashMap<>(plan.environment());
        if (endpoint != null) {
            environment.put("HF_ENDPOINT", endpoint);
        }
        long before = plan.disk();
        orchestrate.hub.HubRepo repo = orchestrate.hub.HubRepo.open(options.repoType(), options.repo(), options.revision(), environment);
        repo.tokenNotice().ifPresent(plan::notice);
        List<orchestrate.hub.RepoFile> files = RepoDownload.select(repo.files(), options.include(), options.exclude());
        long bytes = 0;
        for (orchestrate.hub.RepoFile file : files) {
            plan.file(to + "/" + file.path(), file.size());
            bytes += file.size();
        }
        plan.checkpoint(to, repo);
        plan.estimate(bytes / 1e6 / plan.rates().networkMBps(), bytes, before,
                files.size() + " files of " + options.repo() + " at " + repo.commit().substring(0, Math.min(12, repo.commit().length())));
        return true;
    }

    @Override
    public void run(StepContext context) throws Exception {
        Map<String, String> environment = new HashMap<>(context.environment());
        if (endpoint != null) {
            environment.put("HF_ENDPOINT", endpoint);
        }
        Path directory = context.resolve(to);
        RepoDownload.Events events = new RepoDownload.Events() {
            @Override
            public void info(String line) {
                context.info(line);
            }

            @Override
            public void progress(long done, long total, int filesDone, int files) {
                context.progress(done, total, Event.Unit.BYTES, options.repo());
            }

            @Override
            public void verified(String path, long size, String sha256) {
                context.knownHash(Workdir.relativize(context.workdir(), directory.resolve(path)), size, sha256);
            }
        };
        try {
            HubRepo repo = HubRepo.open(options.repoType(), options.repo(), options.revision(), environment);
            if (checksArchitecture) {
                refuseAnArchitectureWeCannotConvert(repo);
            }
            String commit = RepoDownload.run(repo, options, directory, events, context::cancelled);
            context.fact(Facts.SOURCE_REPO, options.repo());
            context.fact(Facts.SOURCE_COMMIT, commit);
        } catch (HubException e) {
            throw new StepException(e.getMessage());
        }
    }

    /** Reads the repository's config.json alone (a few hundred bytes) and refuses, before the weights, a class we do not support. */
    private void refuseAnArchitectureWeCannotConvert(HubRepo repo) throws Exception {
        if (repo.files().stream().noneMatch(f -> f.path().equals("config.json"))) {
            return;
        }
        JsonNode config;
        try {
            ByteSource file = repo.open("config.json");
            if (file.size() > 1 << 20) {
                return; // no config.json is that large; the steps that read it will say so
            }
            config = JSON.readTree(file.read(0, (int) file.size()));
        } catch (IOException e) {
            return; // the download fetches it and the steps that read it say what is wrong
        }
        Optional<String> unsupported = config != null && config.isObject() ? Family.unsupportedClaim(config) : Optional.empty();
        if (unsupported.isPresent()) {
            throw new StepException(options.repo() + "'s config.json names " + unsupported.get() + ", an architecture orchestrate cannot convert yet, "
                    + "so nothing was downloaded; supported: " + String.join(", ", Family.supported()));
        }
    }

    private static int whole(Options o, String key, int fallback, int min, int max) throws RecipeException {
        double value = o.number(key, "a whole number from " + min + " to " + max, min).orElse((double) fallback);
        if (value != Math.rint(value) || value > max) {
            throw o.error(key, "'" + key + "' of " + o.owner() + " must be a whole number from " + min + " to " + max);
        }
        return (int) value;
    }

    /** A byte size: a number of bytes, or with a unit such as 64MiB, 8 MB or 1G (binary multiples). */
    private static long size(Options o, String key, long fallback) throws RecipeException {
        String text = o.optionalString(key, "a size such as 64MiB").orElse(null);
        if (text == null) {
            return fallback;
        }
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            throw o.error(key, "'" + key + "' of " + o.owner() + " must be a size such as 64MiB, not '" + text + "'");
        }
        int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        long bytes = Long.parseLong(m.group(1)) << shift;
        if (bytes < 64 * 1024) {
            throw o.error(key, "'" + key + "' of " + o.owner() + " must be at least 64KiB");
        }
        return bytes;
    }
}
