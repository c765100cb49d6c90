package orchestrate.controller.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import orchestrate.controller.TestLaptop;
import orchestrate.testkit.EmbeddedBox;

/** A box (MINA SSH on loopback) and a laptop of their own under a test's folder, and the `run` command that joins them. */
final class BoxAndLaptop implements AutoCloseable {

    final Path dir;
    final EmbeddedBox box;
    final TestLaptop laptop;

    private BoxAndLaptop(Path dir, EmbeddedBox box, TestLaptop laptop) {
        this.dir = dir;
        this.box = box;
        this.laptop = laptop;
    }

    static BoxAndLaptop start(Path dir) throws IOException {
        return new BoxAndLaptop(dir, EmbeddedBox.start(Files.createDirectories(dir.resolve("box"))),
                new TestLaptop(Files.createDirectories(dir.resolve("home"))));
    }

    /** {@code run} of this recipe text on the box, fetching into {@code fetchTo}. */
    List<String> runArgs(String recipeText, Path fetchTo) throws IOException {
        Path recipe = Files.writeString(dir.resolve("r-" + System.nanoTime() + ".yaml"), recipeText);
        List<String> args = new ArrayList<>(List.of("run", recipe.toString()));
        args.addAll(box.connectionArgs());
        args.addAll(List.of("--fetch-to", fetchTo.toString()));
        return args;
    }

    TestLaptop.Result run(String recipeText, Path fetchTo) throws IOException {
        return laptop.run(runArgs(recipeText, fetchTo).toArray(String[]::new));
    }

    /** The id of the one run this laptop knows. */
    String onlyRunId() {
        try (Stream<Path> runs = Files.list(laptop.home().resolve(".orchestrate/runs"))) {
            return runs.findFirst().orElseThrow().getFileName().toString();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws IOException {
        box.close();
    }
}
