package orchestrate.steps;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import orchestrate.recipe.Location;
import orchestrate.recipe.RecipeException;
import orchestrate.run.Step;

/**
 * A step whose meaning depends on the rest of its recipe: the llama-cpp step before it (whose
 * tools it runs), the artifacts (what it may delete). Planning hands it those once every step is
 * read.
 */
interface InRecipe {

    /** This step as its recipe places it; a problem is refused with {@link Surroundings#error}. */
    Step within(Surroundings surroundings) throws RecipeException;

    /**
     * @param llamaCpp  the last llama-cpp step before this one, if any
     * @param artifacts the recipe's artifact paths and globs
     */
    record Surroundings(Location location, String owner, Optional<LlamaCppStep> llamaCpp, List<String> artifacts) {

        public RecipeException error(String problem) {
            return new RecipeException(location, problem);
        }

        /**
         * The GGUF files the recipe brings home, as it names them (names or globs): what a card or a
         * Modelfile describes by default; refused, saying {@code what} the step would write, when there are none.
         */
        public List<String> ggufArtifacts(String what) throws RecipeException {
            List<String> ggufs = artifacts.stream().filter(a -> a.endsWith(".gguf")).toList();
            if (ggufs.isEmpty()) {
                throw error(owner + " needs 'files' (the GGUF files to " + what + "): the recipe's artifacts name none");
            }
            return ggufs;
        }

        /** Whether the file at {@code path} (under the workdir) is one the recipe brings home. */
        public boolean isArtifact(String path) {
            String file = Path.of(path).normalize().toString().replace('\\', '/');
            for (String pattern : artifacts) {
                String named = Path.of(pattern).normalize().toString().replace('\\', '/');
                if (file.equals(named) || file.startsWith(named + "/")
                        || FileSystems.getDefault().getPathMatcher("glob:" + pattern).matches(Path.of(file))) {
                    return true;
                }
            }
            return false;
        }
    }
}
