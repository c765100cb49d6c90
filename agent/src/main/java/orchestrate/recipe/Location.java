package orchestrate.recipe;

/** A place in a recipe file, 1-based as editors show it. */
public record Location(String file, int line, int column) {

    @Override
    public String toString() {
        return file + ":" + line + ":" + column;
    }
}
