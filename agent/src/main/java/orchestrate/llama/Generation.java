package orchestrate.llama;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import orchestrate.toolchain.LlamaCppBuild;
import orchestrate.toolchain.LlamaCppException;

/**
 * Greedy generation by the current llama.cpp's {@code llama-simple}, with every layer on the GPU
 * when the build is for one: the continuation, how fast it came, and where the layers went.
 *
 * @param text                  the continuation of the prompt
 * @param tokensPerSecond       generation speed, as llama.cpp measured it
 * @param promptTokensPerSecond prompt processing speed, as llama.cpp measured it
 * @param offloaded             llama.cpp's "offloaded N/M layers to GPU", when it said so
 */
public record Generation(String text, int tokens, double tokensPerSecond, double promptTokensPerSecond, double loadSeconds, Optional<String> offloaded) {

    private static final Pattern DECODED = Pattern.compile("decoded (\\d+) tokens in [0-9.]+ s, speed: ([0-9.]+|inf|nan) t/s");
    private static final Pattern LOAD = Pattern.compile("load time =\\s*([0-9.]+) ms");
    private static final Pattern PROMPT_EVAL = Pattern.compile("prompt eval time =.*?([0-9.]+|inf|nan) tokens per second");
    private static final Pattern OFFLOADED = Pattern.compile("offloaded (\\d+/\\d+) layers to GPU");

    /** Generates {@code tokens} tokens after {@code prompt}; llama.cpp's refusal or failure is a {@link LlamaCppException} in its own words. */
    public static Generation run(LlamaCppBuild.Toolchain toolchain, Path model, String prompt, int tokens, Duration timeout, BooleanSupplier cancelled)
            throws IOException, InterruptedException, LlamaCppException {
        List<String> command = List.of(toolchain.tool("llama-simple").toString(), "-m", model.toString(), "-n", String.valueOf(tokens), "-ngl",
                toolchain.backend() == LlamaCppBuild.Backend.CUDA ? "999" : "0", prompt);
        LlamaTool.Output output = LlamaTool.run(command, timeout, cancelled, piece -> {});
        if (output.timedOut()) {
            throw new LlamaCppException("llama.cpp did not finish within " + timeout.toSeconds() + " s (stopped); it last said: " + output.says());
        }
        if (output.status() != 0) {
            throw new LlamaCppException(output.says().isEmpty() ? "llama-simple exited with status " + output.status() : output.says());
        }
        String stderr = String.join("\n", output.stderr());
        Matcher decoded = DECODED.matcher(stderr);
        if (!decoded.find()) {
            throw new LlamaCppException("llama-simple did not say how many tokens it decoded; it last said: " + output.says());
        }
        return new Generation(continuation(output.stdout(), prompt), Integer.parseInt(decoded.group(1)), number(decoded.group(2)),
                find(PROMPT_EVAL, stderr).map(Generation::number).orElse(0.0), find(LOAD, stderr).map(ms -> number(ms) / 1000).orElse(0.0),
                find(OFFLOADED, stderr));
    }

    /**
     * llama-simple prints the prompt as its tokens read back (with a BOS token's text in front, and
     * a tokenizer's own spacing), then the continuation and a new line: the continuation is what
     * follows the prompt's text.
     */
    static String continuation(String printed, String prompt) {
        String text = printed.endsWith("\n") ? printed.substring(0, printed.length() - 1) : printed;
        int at = text.indexOf(prompt);
        return at >= 0 ? text.substring(at + prompt.length()) : text;
    }

    private static Optional<String> find(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    private static double number(String text) {
        try {
            double value = Double.parseDouble(text);
            return Double.isFinite(value) ? value : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
