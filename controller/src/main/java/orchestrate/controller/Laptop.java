package orchestrate.controller;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;

/**
 * The machine the controller runs on, passed in rather than read from globals so that a test
 * can give every run its own home directory and capture what is printed.
 *
 * @param terminal whether stderr is an interactive terminal that can redraw a status line
 * @param clock    the wall clock that costs and budgets are measured by
 */
public record Laptop(Path home, Map<String, String> env, InputStream in, PrintStream out, PrintStream err, boolean terminal, Clock clock) {

    public static Laptop system() {
        boolean terminal = System.console() != null && System.getenv("NO_COLOR") == null
                && !"dumb".equals(System.getenv("TERM"));
        return new Laptop(Path.of(System.getProperty("user.home")), System.getenv(), System.in, System.out, System.err, terminal, Clock.systemUTC());
    }

    /** The same laptop with another environment. */
    public Laptop withEnv(Map<String, String> environment) {
        return new Laptop(home, environment, in, out, err, terminal, clock);
    }

    /** {@code ~/.orchestrate}: runs, and the state of each. */
    public Path stateDir() {
        return home.resolve(".orchestrate");
    }

    /** {@code ~/.ssh}, which is {@code %USERPROFILE%\.ssh} on Windows. */
    public Path sshDir() {
        return home.resolve(".ssh");
    }
}
