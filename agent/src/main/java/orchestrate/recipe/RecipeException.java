package orchestrate.recipe;

import orchestrate.text.OneLine;

/** A recipe that cannot be used, with the place in the file that says why. */
public final class RecipeException extends Exception {

    private final Location location;
    private final String problem;

    public RecipeException(Location location, String problem) {
        super(OneLine.of(location + ": " + problem));
        this.location = location;
        this.problem = problem;
    }

    public Location location() {
        return location;
    }

    public String problem() {
        return problem;
    }
}
