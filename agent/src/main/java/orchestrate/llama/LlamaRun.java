package orchestrate.llama;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

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

    private LlamaRun() {}

    public static Result generate(Path model, String prompt, int tokens, int timeoutSeconds) throws IOException, InterruptedException {
        return generate(model, List.of(prompt), tokens, timeoutSeconds);
    }

    /** Greedy continuations of several prompts, with the model loaded once; tokens and speed are the first prompt's. */
    public static Result generate(Path model, List<String> prompts, int tokens, int timeoutSeconds) throws IOException, InterruptedException {
        String javaCommand = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(javaCommand, "-cp", System.getProperty("java.class.path"),
                LlamaProbe.class.getName(), model.toString(), String.valueOf(tokens)));
        command.addAll(prompts);
        Process child = new ProcessBuilder(command).start();
        Deque<String> stderr = new ArrayDeque<>();
        Thread errors = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(child.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = reader.readLine()) != null; ) {
                    synchronized (stderr) {
                        stderr.addLast(line);
                        if (stderr.size() > 40) {
                            stderr.removeFirst();
                        }
                    }
                }
            } catch (IOException e) {
                // the child is gone
            }
        }, "llama-stderr");
        errors.setDaemon(true);
        errors.start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!child.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            return new Result(false, false, null, 0, 0, 0, "llama.cpp did not finish within " + timeoutSeconds + " s", lastError(stderr));
        }
        errors.join(2000);
        String line = out.lines().filter(l -> l.startsWith("LLAMA ")).findFirst().orElse(null);
        if (line == null) {
            return new Result(false, false, null, 0, 0, 0, "llama.cpp exited with status " + child.exitValue() + " and no result (a native abort?)",
                    lastError(stderr));
        }
        JsonNode result = JSON.readTree(line.substring("LLAMA ".length()));
        if (!result.path("ok").asBoolean()) {
            return new Result(false, result.path("unavailable").asBoolean(), null, 0, 0, 0, result.path("error").asText(), lastError(stderr));
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
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()),
                "-cp", System.getProperty("java.class.path"), LlamaProbe.class.getName(), "--encode", model.toString()));
        command.addAll(texts);
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!child.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            throw new IOException("llama.cpp did not finish encoding within " + timeoutSeconds + " s");
        }
        String line = out.lines().filter(l -> l.startsWith("LLAMA ")).findFirst().orElseThrow(() -> new IOException("llama.cpp gave no result: " + out));
        JsonNode result = JSON.readTree(line.substring("LLAMA ".length()));
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

    /** llama.cpp's most telling line: why loading failed when it says so, else its last error, else its last line. */
    private static String lastError(Deque<String> lines) {
        synchronized (lines) {
            String loading = null;
            String error = null;
            for (String line : lines) {
                int at = line.indexOf("error loading model: ");
                if (at >= 0) {
                    loading = line.substring(at + "error loading model: ".length());
                } else if (line.contains("error") || line.contains("failed")) {
                    error = line;
                }
            }
            String chosen = loading != null ? loading : error != null ? error : lines.isEmpty() ? "" : lines.getLast();
            return chosen.strip();
        }
    }
}
