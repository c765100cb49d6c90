package orchestrate.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import orchestrate.process.ChildProcess;

/** Greedy generation by llama.cpp in a child JVM (see {@link LlamaProbe}), with llama.cpp's own words when it fails. */
public final class LlamaRun {

    /**
     * @param unavailable the native library could not be loaded here (no libgomp, another OS): nothing was proven
     * @param llamaSays   the last lines llama.cpp printed, for a failure message
     */
    public record Result(boolean ok, boolean unavailable, List<String> texts, int tokens, double tokensPerSecond, double loadSeconds,
                         String error, String llamaSays) {

        /** The continuation of the first prompt. */
        public String text() {
            return texts.get(0);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration STOP_GRACE = Duration.ofSeconds(2);

    private LlamaRun() {}

    public static Result generate(Path model, String prompt, int tokens, int timeoutSeconds) throws IOException, InterruptedException {
        return generate(model, List.of(prompt), tokens, timeoutSeconds, () -> false);
    }

    public static Result generate(Path model, List<String> prompts, int tokens, int timeoutSeconds) throws IOException, InterruptedException {
        return generate(model, prompts, tokens, timeoutSeconds, () -> false);
    }

    /**
     * Greedy continuations of several prompts, with the model loaded once; tokens and speed are the
     * first prompt's. The child is stopped (with anything it started) when {@code timeoutSeconds}
     * pass or {@code cancelled} says so; a cancelled wait throws {@link CancellationException}.
     */
    public static Result generate(Path model, List<String> prompts, int tokens, int timeoutSeconds, BooleanSupplier cancelled)
            throws IOException, InterruptedException {
        List<String> arguments = new ArrayList<>(List.of(model.toString(), String.valueOf(tokens)));
        arguments.addAll(prompts);
        Probe probe = probe(probeCommand(arguments), timeoutSeconds, cancelled);
        if (probe.timedOut()) {
            return new Result(false, false, null, 0, 0, 0, "llama.cpp did not finish within " + timeoutSeconds + " s (stopped)", probe.says());
        }
        if (probe.result() == null) {
            return new Result(false, false, null, 0, 0, 0, "llama.cpp exited with status " + probe.status() + " and no result (a native abort?)",
                    probe.says());
        }
        JsonNode result = probe.result();
        if (!result.path("ok").asBoolean()) {
            return new Result(false, result.path("unavailable").asBoolean(), null, 0, 0, 0, result.path("error").asText(), probe.says());
        }
        List<String> texts = new ArrayList<>();
        for (JsonNode text : result.path("texts")) {
            texts.add(new String(Base64.getDecoder().decode(text.asText()), StandardCharsets.UTF_8));
        }
        return new Result(true, false, texts, result.path("tokens").asInt(), result.path("tokens_per_second").asDouble(),
                result.path("load_seconds").asDouble(), null, null);
    }

    /** llama.cpp's token ids for each text, as its tokenizer reads the file's tokenizer metadata. */
    public static List<int[]> encode(Path model, List<String> texts, int timeoutSeconds) throws IOException, InterruptedException {
        List<String> arguments = new ArrayList<>(List.of("--encode", model.toString()));
        arguments.addAll(texts);
        Probe probe = probe(probeCommand(arguments), timeoutSeconds, () -> false);
        if (probe.timedOut()) {
            throw new IOException("llama.cpp did not finish encoding within " + timeoutSeconds + " s");
        }
        JsonNode result = probe.result();
        if (result == null) {
            throw new IOException("llama.cpp gave no result: " + probe.says());
        }
        if (!result.path("ok").asBoolean()) {
            throw new IOException("llama.cpp could not encode: " + result.path("error").asText());
        }
        List<int[]> ids = new ArrayList<>();
        for (JsonNode text : result.path("ids")) {
            int[] tokens = new int[text.size()];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = text.get(i).asInt();
            }
            ids.add(tokens);
        }
        return ids;
    }

    private static List<String> probeCommand(List<String> arguments) {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), LlamaProbe.class.getName()));
        command.addAll(arguments);
        return command;
    }

    /** What a probe process left: its result line (null if none), its exit status, whether it was stopped for time, and its most telling line. */
    record Probe(JsonNode result, int status, boolean timedOut, String says) {}

    /**
     * Runs a probe command to its end, reading its output as it comes (a child that fills its pipe
     * must not block), within {@code timeoutSeconds}.
     */
    static Probe probe(List<String> command, int timeoutSeconds, BooleanSupplier cancelled) throws IOException, InterruptedException {
        Process child = new ProcessBuilder(command).start();
        child.getOutputStream().close();
        Deque<String> stderr = new ArrayDeque<>();
        Thread errors = reader(child.getErrorStream(), "llama-stderr", line -> {
            synchronized (stderr) {
                stderr.addLast(line);
                if (stderr.size() > 40) {
                    stderr.removeFirst();
                }
            }
        });
        AtomicReference<String> resultLine = new AtomicReference<>();
        Thread output = reader(child.getInputStream(), "llama-stdout", line -> {
            if (line.startsWith("LLAMA ")) {
                resultLine.compareAndSet(null, line.substring("LLAMA ".length()));
            }
        });
        ChildProcess.Outcome outcome = ChildProcess.await(child, Duration.ofSeconds(timeoutSeconds), cancelled, STOP_GRACE);
        output.join(2000);
        errors.join(2000);
        if (outcome.stopped() == ChildProcess.Stopped.CANCELLED) {
            throw new CancellationException("cancelled; llama.cpp was stopped");
        }
        String line = resultLine.get();
        return new Probe(line == null || !outcome.exited() ? null : JSON.readTree(line), outcome.status(), !outcome.exited(), lastError(stderr));
    }

    private static Thread reader(java.io.InputStream stream, String name, java.util.function.Consumer<String> lines) {
        Thread thread = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    lines.accept(line);
                }
            } catch (IOException e) {
                // the child is gone
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static String lastError(Deque<String> lines) {
        synchronized (lines) {
            return LlamaTool.mostTelling(lines);
        }
    }
}
