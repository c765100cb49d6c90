package orchestrate.steps;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import orchestrate.event.Event;
import orchestrate.plan.PlanContext;
import orchestrate.plan.Plannable;
import orchestrate.toolchain.LlamaCppBuild;
import orchestrate.toolchain.LlamaCppException;
import orchestrate.toolchain.LlamaCppSource;
import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.run.Step;
import orchestrate.run.StepContext;
import orchestrate.run.StepException;

/**
 * {@code llama-cpp}: llama.cpp's tools on the box at one pinned version, built from source with
 * CMake (for the box's NVIDIA card when it has one), cached in {@code ~/.orchestrate/llama.cpp}
 * so a second run costs a check. It runs on every run: that check is what proves the tools are
 * still there.
 */
record LlamaCppStep(String version, String source, String backend, int jobs, String cache, String registry) implements Step, Plannable {

    /** The {@code source} that means the pinned one (as leaving it out does), for a recipe that sets it from a variable. */
    static final String PINNED = "pinned";

    /** Core-seconds a CPU build of the tools took here (BENCHMARKS.md: 246 to 307 s on 2 cores). */
    private static final double BUILD_CORE_SECONDS = 600;

    static Step parse(Options o) throws RecipeException {
        String backend = o.optionalString("backend", "auto, cpu or cuda").orElse("auto");
        if (!List.of("auto", "cpu", "cuda").contains(backend)) {
            throw o.error("backend", "'backend' of " + o.owner() + " must be auto, cpu or cuda, not '" + backend + "'");
        }
        double jobs = o.number("jobs", "how many compile jobs (default: every core)", 1).orElse((double) Runtime.getRuntime().availableProcessors());
        if (jobs != Math.rint(jobs) || jobs > 256) {
            throw o.error("jobs", "'jobs' of " + o.owner() + " must be a whole number from 1 to 256");
        }
        String source = o.optionalString("source", "pinned, or a llama.cpp source directory, git bundle or node-llama-cpp .tgz on the box")
                .filter(given -> !given.equals(PINNED)).orElse(null);
        String version = o.optionalString("version", "the llama.cpp commit the build is named by").orElse(source == null ? LlamaCppSource.PINNED_VERSION : null);
        if (source == null && !version.equals(LlamaCppSource.PINNED_VERSION)) {
            throw o.error("version", "'version' of " + o.owner() + " is " + version + ", but the pinned source is llama.cpp " + LlamaCppSource.PINNED_VERSION
                    + "; leave version out, or give a 'source' of that version");
        }
        if (version == null) {
            throw o.error("version", "'version' of " + o.owner() + " is needed with 'source': it names the build in the cache");
        }
        if (!version.matches("[A-Za-z0-9._-]{1,40}")) {
            throw o.error("version", "'version' of " + o.owner() + " must be letters, digits, '.', '_' or '-', not '" + version + "'");
        }
        return new LlamaCppStep(version, source, backend, (int) jobs, o.optionalString("cache", "where built toolchains are kept").orElse("~/.orchestrate/llama.cpp"),
                o.optionalString("registry", "an npm registry for the pinned source").orElse(LlamaCppSource.DEFAULT_REGISTRY));
    }

    @Override
    public List<String> outputs() {
        return List.of();
    }

    @Override
    public boolean checksEveryRun() {
        return true;
    }

    /** Nothing in the workdir; the build's time when nothing is cached (CPU; CUDA kernels add minutes not measured yet). */
    @Override
    public boolean plan(PlanContext plan) {
        long before = plan.disk();
        plan.estimate(BUILD_CORE_SECONDS / Math.min(jobs, plan.rates().cores()), 0, before, "builds llama.cpp " + version + " into " + cache
                + " unless it is there (about 0.6 GB while building, 51 MB after); with CUDA, longer");
        return true;
    }

    private LlamaCppBuild.Settings settings() {
        return new LlamaCppBuild.Settings(version, source == null ? null : home(source), backend, jobs, home(cache), registry);
    }

    /** The tools this step built (it runs first on every run), for a later step that uses them. */
    LlamaCppBuild.Toolchain built() throws StepException, java.io.IOException {
        try {
            return LlamaCppBuild.find(settings(), Map.of()).orElseThrow(() -> new StepException("llama.cpp " + version
                    + " is not built in " + cache + "; the llama-cpp step builds it"));
        } catch (LlamaCppException e) {
            throw new StepException(e.getMessage());
        }
    }

    @Override
    public void run(StepContext context) throws Exception {
        LlamaCppBuild.Settings settings = settings();
        LlamaCppBuild.Listener listener = new LlamaCppBuild.Listener() {
            private int reported = -1;

            @Override
            public void info(String line) {
                context.info(line);
            }

            @Override
            public void progress(int percent) {
                if (percent != reported) { // CMake repeats a percentage for every file; one event per step of it
                    reported = percent;
                    context.progress(percent, 100, Event.Unit.ITEMS, "building llama.cpp");
                }
            }
        };
        try {
            LlamaCppBuild.Toolchain toolchain = LlamaCppBuild.ensure(settings, Map.of(), listener, context::cancelled);
            context.fact("llama-cpp-home", toolchain.home().toString());
            context.fact("llama-cpp-version", toolchain.version());
            if (!toolchain.commit().isEmpty()) {
                context.fact("llama-cpp-commit", toolchain.commit());
            }
            context.fact("llama-cpp-backend", toolchain.backend().wire());
            context.fact("llama-cpp-build-seconds", String.valueOf(toolchain.buildSeconds()));
        } catch (LlamaCppException e) {
            throw new StepException(e.getMessage());
        }
    }

    /** A box path with {@code ~} for the agent's home. */
    private static Path home(String path) {
        String home = System.getProperty("user.home");
        return Path.of(path.equals("~") ? home : path.startsWith("~/") ? home + path.substring(1) : path);
    }
}
