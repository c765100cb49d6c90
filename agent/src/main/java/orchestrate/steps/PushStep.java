package orchestrate.steps;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import orchestrate.event.Event;
import orchestrate.event.Facts;
import orchestrate.files.Parts;
import orchestrate.files.Workdir;
import orchestrate.hub.HubException;
import orchestrate.hub.RepoUpload;
import orchestrate.plan.PlanContext;
import orchestrate.plan.Plannable;
import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.retry.Backoff;
import orchestrate.run.Step;
import orchestrate.run.StepContext;
import orchestrate.run.StepException;

/**
 * {@code push}: the files (globs under the workdir; by default the recipe's GGUF files, Modelfiles
 * and card) uploaded to a Hub repository from the box, with the token the run carries, in one
 * commit: created when missing, nothing sent that the Hub already has, no empty commit, large
 * files straight to storage in resumable parts. The repository's URL and the commit are recorded.
 * {@code repo: none} pushes nothing, so a recipe can make publishing optional with a variable.
 */
record PushStep(String repo, boolean isPrivate, boolean create, String revision, String message, List<String> files, String endpoint)
        implements Step, InRecipe, Plannable {

    static Step parse(Options options) throws RecipeException {
        String repo = options.string("repo", "the Hub repository to push to, ORG/NAME, or none");
        return new PushStep(repo, options.bool("private", false), options.bool("create", true),
                options.optionalString("revision", "a branch of the repository").orElse("main"),
                options.optionalString("message", "the commit's summary").orElse(null),
                options.strings("files", "files or globs under the workdir"),
                options.optionalString("endpoint", "a Hub mirror URL").orElse(null));
    }

    /** Without 'files', what a GGUF repository holds: the recipe's GGUF files, Modelfiles and model card. */
    @Override
    public Step within(Surroundings surroundings) throws RecipeException {
        if (!files.isEmpty() || pushesNothing()) {
            return this;
        }
        List<String> published = surroundings.artifacts().stream()
                .filter(a -> a.endsWith(".gguf") || a.endsWith(".Modelfile") || a.equals("README.md")).toList();
        if (published.isEmpty()) {
            throw surroundings.error(surroundings.owner() + " needs 'files' (files or globs to push): the recipe's artifacts name no .gguf, .Modelfile or README.md");
        }
        return new PushStep(repo, isPrivate, create, revision, message, published, endpoint);
    }

    /** {@code repo: none}: what a recipe's optional push variable defaults to. */
    private boolean pushesNothing() {
        return repo.equals("none");
    }

    /** The upload's time at the download's rate, from the sizes the plan knows; nothing lands on the box's disk. */
    @Override
    public boolean plan(PlanContext plan) {
        if (pushesNothing()) {
            plan.estimate(0, 0, plan.disk(), "nothing to push (repo: none)");
            return true;
        }
        long bytes = 0;
        int count = 0;
        int unsized = 0;
        for (String entry : files) {
            if (!Workdir.isGlob(entry)) {
                java.util.Optional<Long> size = plan.size(entry);
                bytes += size.orElse(0L);
                count += size.isPresent() ? 1 : 0;
                unsized += size.isPresent() ? 0 : 1;
                continue;
            }
            java.nio.file.PathMatcher matcher = java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + entry);
            for (String file : plan.files()) {
                if (matcher.matches(Path.of(file))) {
                    bytes += plan.size(file).orElse(0L);
                    count++;
                }
            }
        }
        plan.estimate(bytes / 1e6 / plan.rates().networkMBps(), 0, plan.disk(), String.format(Locale.ROOT, "%d files, %.2f GB to %s (at the download's rate)%s",
                count, bytes / 1e9, repo, unsized == 0 ? "" : "; " + unsized + " more the plan does not size"));
        return true;
    }

    @Override
    public List<String> outputs() {
        return List.of();
    }

    @Override
    public void run(StepContext context) throws Exception {
        if (pushesNothing()) {
            context.info("nothing pushed: the repository is none (a recipe's --set push=ORG/NAME publishes the files)");
            return;
        }
        Map<String, String> environment = new HashMap<>(context.environment());
        if (endpoint != null) {
            environment.put("HF_ENDPOINT", endpoint);
        }
        List<String> paths = resolve(context);
        String summary = message != null ? message : "Upload " + paths.size() + " files with orchestrate";
        RepoUpload.Options options = new RepoUpload.Options(repo, revision, isPrivate, create, summary, 5, new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30)));
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (String path : paths) {
            sizes.put(path, Files.size(context.resolve(path)));
        }
        List<RepoUpload.Local> locals = new ArrayList<>();
        RepoUpload.Result result;
        try {
            RepoUpload.check(environment, options, sizes); // before any file is read
            for (String path : paths) {
                locals.add(new RepoUpload.Local(path, context.resolve(path), sizes.get(path), context.sha256(context.resolve(path))));
            }
            long bytes = sizes.values().stream().mapToLong(Long::longValue).sum();
            context.info(String.format(Locale.ROOT, "pushing %d files (%.2f GB) to %s%s", paths.size(), bytes / 1e9, repo,
                    revision.equals("main") ? "" : " @ " + revision));
            result = RepoUpload.run(environment, options, locals, context.workdir().resolve(Workdir.STATE_DIR).resolve("push"), new RepoUpload.Events() {
                @Override
                public void info(String line) {
                    context.info(line);
                }

                @Override
                public void progress(long done, long total) {
                    context.progress(done, total, Event.Unit.BYTES, repo);
                }
            });
        } catch (HubException e) {
            throw new StepException(e.getMessage());
        }
        if (result.committed()) {
            context.info("pushed " + result.sent().size() + " files to " + result.url() + " in commit " + result.commit()
                    + (result.unchanged().isEmpty() ? "" : "; " + result.unchanged().size() + " were there already"));
        }
        context.fact(Facts.PUSHED_TO, result.url());
        context.fact(Facts.PUSHED_COMMIT, result.commit());
    }

    /** Every file the entries name, once, in order: a name (or a file written in parts, as its parts), or a glob over the workdir. */
    private List<String> resolve(StepContext context) throws IOException, StepException {
        java.util.Set<String> found = new java.util.LinkedHashSet<>();
        for (String entry : files) {
            List<String> matched = new ArrayList<>();
            if (Workdir.isGlob(entry)) {
                matched.addAll(Workdir.glob(context.workdir(), entry));
            } else {
                Parts.of(context.resolve(entry)).forEach(file -> matched.add(Workdir.relativize(context.workdir(), file)));
            }
            if (matched.isEmpty()) {
                throw new StepException("'" + entry + "' of push names no file in the workdir");
            }
            found.addAll(matched);
        }
        return List.copyOf(found);
    }
}
