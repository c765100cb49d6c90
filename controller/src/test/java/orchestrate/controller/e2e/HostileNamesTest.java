package orchestrate.controller.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import orchestrate.controller.TestLaptop;
import orchestrate.testkit.EmbeddedBox;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Names that a shell would read as commands: a workdir, a recipe file, a fetch folder and
 * artifacts with quotes, {@code $()}, backticks, spaces and non-ASCII letters, through every
 * command the controller sends over SSH (MINA runs each with /bin/sh -c). Nothing is executed
 * but the recipe's own steps, and every name arrives as itself.
 */
class HostileNamesTest {

    /** A name that runs {@code touch pwned-...} wherever it is not quoted. */
    static final String NASTY = "it's $(touch pwned-dollar) `touch pwned-tick` \"q\" ; touch pwned-semi & ü";

    @TempDir
    Path dir;

    @Test
    void namesThatLookLikeCommandsAreOnlyNamesOnTheBoxAndOnTheLaptop() throws Exception {
        try (EmbeddedBox box = EmbeddedBox.start(Files.createDirectories(dir.resolve("box")))) {
            Path laptopDir = Files.createDirectories(dir.resolve("Jane Doe's laptop ü"));
            Path recipe = laptopDir.resolve("my recipe $(touch pwned-recipe).yaml");
            Files.writeString(recipe, """
                    name: hostile
                    workdir: "~/work/%s"
                    steps:
                      - write: {path: "out/%s.txt", text: "made\\n"}
                      - shell:
                          run: "cp 'out/%s.txt' copy.txt"
                          outputs: [copy.txt]
                    artifacts: ["out/*.txt", copy.txt]
                    """.formatted(NASTY.replace("\"", "\\\""), NASTY.replace("\"", "\\\""), NASTY.replace("'", "'\\\\''").replace("\"", "\\\"")));
            Path fetchTo = laptopDir.resolve("fetched $(touch pwned-fetch)");
            TestLaptop laptop = new TestLaptop(Files.createDirectories(laptopDir.resolve("home")));
            List<String> args = new ArrayList<>(List.of("run", recipe.toString()));
            args.addAll(box.connectionArgs());
            args.addAll(List.of("--fetch-to", fetchTo.toString()));

            TestLaptop.Result result = laptop.run(args.toArray(String[]::new));

            assertEquals(0, result.exit(), result.toString());
            Path workdir = box.home().resolve("work").resolve(NASTY);
            assertTrue(Files.isDirectory(workdir), "the workdir has exactly its name");
            assertArrayEquals("made\n".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(fetchTo.resolve("out").resolve(NASTY + ".txt")));
            assertArrayEquals("made\n".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(fetchTo.resolve("copy.txt")));
            for (Path root : List.of(box.home(), dir)) {
                try (Stream<Path> all = Files.walk(root)) {
                    List<Path> pwned = all.filter(p -> p.getFileName().toString().startsWith("pwned-")).toList();
                    assertEquals(List.of(), pwned, "a name was run as a command");
                }
            }
        }
    }

    @Test
    void anArtifactThatIsASymbolicLinkOutOfTheWorkdirIsRefused() throws Exception {
        try (EmbeddedBox box = EmbeddedBox.start(Files.createDirectories(dir.resolve("box")))) {
            Path secret = Files.writeString(Files.createDirectories(dir.resolve("elsewhere")).resolve("secret.txt"), "not the run's");
            Path recipe = dir.resolve("link.yaml");
            Files.writeString(recipe, """
                    name: link
                    workdir: ~/work/link
                    steps:
                      - shell: {run: "ln -sf '%s' leak.txt; echo mine > mine.txt"}
                    artifacts: ["*.txt"]
                    """.formatted(secret));
            TestLaptop laptop = new TestLaptop(Files.createDirectories(dir.resolve("home")));
            List<String> args = new ArrayList<>(List.of("run", recipe.toString()));
            args.addAll(box.connectionArgs());
            args.addAll(List.of("--fetch-to", dir.resolve("fetched").toString()));

            TestLaptop.Result result = laptop.run(args.toArray(String[]::new));

            assertEquals(1, result.exit(), result.toString());
            assertTrue(result.out().contains("artifact 'leak.txt' is a symbolic link to " + secret + ", outside the workdir"), result.toString());
            assertFalse(Files.exists(dir.resolve("fetched/leak.txt")), "nothing from outside the workdir comes home");
        }
    }
}
