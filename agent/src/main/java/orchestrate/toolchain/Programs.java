package orchestrate.toolchain;

import java.io.File;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Programs found on a PATH that may differ from the agent's own ({@code environment} overrides
 * it): Java would look a bare name up on its own PATH, so commands are started by full path.
 */
final class Programs {

    private Programs() {}

    /** The program's path when it is on the PATH {@code environment} gives (else the agent's). */
    static Optional<Path> find(String program, Map<String, String> environment) {
        String path = environment.getOrDefault("PATH", System.getenv("PATH"));
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** A process for {@code command}, its program found on the PATH, with {@code environment} added to the agent's. */
    static ProcessBuilder builder(List<String> command, Map<String, String> environment) throws LlamaCppException {
        List<String> resolved = new ArrayList<>(command);
        resolved.set(0, find(command.get(0), environment)
                .orElseThrow(() -> new LlamaCppException(command.get(0) + " is not on this box's PATH")).toString());
        ProcessBuilder builder = new ProcessBuilder(resolved);
        builder.environment().putAll(environment);
        return builder;
    }

    /** A short command's standard output, or empty when it failed or is not there. */
    static Optional<String> capture(List<String> command, Map<String, String> environment) throws IOException {
        if (find(command.get(0), environment).isEmpty()) {
            return Optional.empty();
        }
        try {
            Process process = builder(command, environment).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            process.getOutputStream().close();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return process.waitFor() == 0 ? Optional.of(out) : Optional.empty();
        } catch (LlamaCppException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }
}
