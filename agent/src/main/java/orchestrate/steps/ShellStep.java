package orchestrate.steps;

import orchestrate.event.Event;
import orchestrate.recipe.Options;
import orchestrate.recipe.RecipeException;
import orchestrate.run.Step;
import orchestrate.run.StepContext;
import orchestrate.run.StepException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import orchestrate.process.ChildProcess;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code shell}: runs a command with {@code bash -c} in the workdir, streaming what it prints. The
 * command text reaches bash through its environment, not its arguments: after substitution it may
 * hold a secret, and any user of the box can read any process's arguments.
 */
record ShellStep(String command, Map<String, String> env, List<String> outputs) implements Step {

    private static final String COMMAND_VARIABLE = "ORCHESTRATE_COMMAND";
    /** How long a cancelled command has to end after SIGTERM before it is killed. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    static Step parse(Options options) throws RecipeException {
        return new ShellStep(options.string("run", "a command for bash -c"),
                options.stringMap("env", "a mapping of environment variables"),
                options.strings("outputs", "paths under the workdir that the command produces"));
    }

    @Override
    public void run(StepContext context) throws Exception {
        ProcessBuilder builder = new ProcessBuilder("bash", "-c",
                "__script=$" + COMMAND_VARIABLE + "; unset " + COMMAND_VARIABLE + "; eval \"$__script\"")
                .directory(context.workdir().toFile());
        builder.environment().putAll(context.environment());
        builder.environment().putAll(env);
        builder.environment().put(COMMAND_VARIABLE, command);
        builder.redirectInput(ProcessBuilder.Redirect.PIPE);
        Process process = builder.start();
        process.getOutputStream().close();
        AtomicReference<String> lastError = new AtomicReference<>();
        Thread out = pump(process.getInputStream(), Event.Stream.STDOUT, context, null);
        Thread err = pump(process.getErrorStream(), Event.Stream.STDERR, context, lastError);
        ChildProcess.Outcome outcome;
        try {
            outcome = ChildProcess.await(process, null, context::cancelled, STOP_GRACE);
        } finally {
            if (process.isAlive()) {
                ChildProcess.stopTree(process.toHandle(), Duration.ZERO);
            }
            out.join(5000);
            err.join(5000);
        }
        if (!outcome.exited()) {
            throw new CancellationException("cancelled; the command was stopped");
        }
        int status = outcome.status();
        if (status != 0) {
            String last = lastError.get();
            throw new StepException("command exited with status " + status + (last == null ? "" : " (last error line: " + last + ")"));
        }
    }

    private static Thread pump(InputStream stream, Event.Stream name, StepContext context, AtomicReference<String> last) {
        Thread thread = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    context.log(name, line);
                    if (last != null && !line.isBlank()) {
                        last.set(line);
                    }
                }
            } catch (IOException e) {
                context.info("stopped reading " + name.wire() + ": " + e.getMessage());
            }
        }, "shell-" + name.wire());
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
