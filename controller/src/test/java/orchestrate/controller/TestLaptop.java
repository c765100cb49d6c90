package orchestrate.controller;

import orchestrate.controller.cli.Cli;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/** A laptop with its own home directory and environment, whose output a test can read. */
public final class TestLaptop {

    public record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    private final Path home;
    private final Map<String, String> env;
    private final Clock clock;

    public TestLaptop(Path home, Map<String, String> env, Clock clock) {
        this.home = home;
        this.env = env;
        this.clock = clock;
    }

    public TestLaptop(Path home, Map<String, String> env) {
        this(home, env, Clock.systemUTC());
    }

    public TestLaptop(Path home) {
        this(home, Map.of());
    }

    public Path home() {
        return home;
    }

    /** Runs one orchestrate command in this JVM, as `orchestrate ARGS...` on this laptop. */
    public Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            Laptop laptop = new Laptop(home, env, new ByteArrayInputStream(new byte[0]), o, e, false, clock);
            int exit = Cli.commandLine(laptop).execute(args);
            return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        }
    }
}
