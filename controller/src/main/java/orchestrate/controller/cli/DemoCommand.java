package orchestrate.controller.cli;

import orchestrate.controller.ExitException;
import orchestrate.controller.Laptop;
import orchestrate.controller.demo.EmbeddedBox;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "demo", description = "Run the quickstart recipe on an embedded SSH box on this machine, exactly as on a rented one.")
public final class DemoCommand implements Callable<Integer> {

    private static final String QUICKSTART = "/orchestrate/examples/quickstart.yaml";

    private final Laptop laptop;

    @Option(names = "--fetch-to", paramLabel = "DIR", defaultValue = "demo-output", description = "Where artifacts go (default: ${DEFAULT-VALUE}).")
    Path fetchTo;

    @Mixin
    OutputOptions output;

    public DemoCommand(Laptop laptop) {
        this.laptop = laptop;
    }

    @Override
    public Integer call() throws IOException {
        Path work = Files.createTempDirectory("orchestrate-demo");
        try (EmbeddedBox box = EmbeddedBox.start(work)) {
            Path recipe = work.resolve("quickstart.yaml");
            try (InputStream in = DemoCommand.class.getResourceAsStream(QUICKSTART)) {
                if (in == null) {
                    throw new ExitException(ExitException.INTERNAL, "this build lacks " + QUICKSTART);
                }
                Files.copy(in, recipe);
            }
            laptop.err().println("--- demo: an SSH server on 127.0.0.1:" + box.port() + " (host key " + box.hostKeyFingerprint()
                    + ") stands in for a rented box; its home is " + box.home());
            String[] args = {"run", recipe.toString(), "--host", box.target(), "--identity", box.userKey().toString(),
                    "--host-key", box.hostKeyFingerprint(), "--fetch-to", fetchTo.toString()};
            if (output.json) {
                args = Stream.concat(Stream.of(args), Stream.of("--json")).toArray(String[]::new);
            }
            return Cli.commandLine(laptop).execute(args);
        } finally {
            deleteTree(work);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
