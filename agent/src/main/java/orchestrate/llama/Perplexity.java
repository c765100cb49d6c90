package orchestrate.llama;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import orchestrate.toolchain.LlamaCppBuild;
import orchestrate.toolchain.LlamaCppException;

/**
 * What a quantization costs, measured by the current llama.cpp's {@code llama-perplexity}: the
 * baseline's log-probabilities saved once over a text ({@code --kl-divergence-base}), then each
 * quantized file's perplexity and KL divergence against them ({@code --kl-divergence}), chunk by
 * chunk of {@code ctx} tokens, scored on each chunk's second half as llama.cpp does.
 */
public final class Perplexity {

    /** @param chunks how many chunks of the text at most; 0 for all of it */
    public record Settings(int ctx, int chunks, Duration timeout) {}

    /** The baseline's perplexity over the text, and how fast llama.cpp read it. */
    public record Baseline(double ppl, double pplError, int chunks, double promptTokensPerSecond) {}

    /**
     * One file against the baseline, in llama.cpp's own statistics.
     *
     * @param sameTop how often both pick the same most likely token, in percent
     */
    public record Divergence(double ppl, double pplError, double baselinePpl, double deltaPpl, double deltaPplError, double meanKld,
                             double meanKldError, double kld99, double maxKld, double sameTop, double sameTopError, double promptTokensPerSecond) {}

    private static final Pattern PPL_CHUNK = Pattern.compile("^\\[(\\d+)\\]\\d");
    private static final Pattern KLD_CHUNK = Pattern.compile("^\\s*(\\d+)\\s+[0-9.]+\\s+±");
    private static final Pattern FINAL = Pattern.compile("Final estimate: PPL = ([0-9.]+) \\+/- ([0-9.]+)");
    private static final Pattern CHUNKS = Pattern.compile("computing over (\\d+) chunks|calculating perplexity over (\\d+) chunks");
    private static final Pattern PROMPT_EVAL = Pattern.compile("prompt eval time =.*?([0-9.]+) tokens per second");
    private static final String NUMBER = "(-?[0-9.]+|-?nan|-?inf)";

    private Perplexity() {}

    /** Hears each chunk finish, once llama.cpp has said how many there are. */
    public interface Progress {
        void chunk(int done, int of);
    }

    /** Saves the baseline's log-probabilities over {@code text} to {@code logits}. */
    public static Baseline baseline(LlamaCppBuild.Toolchain toolchain, Path model, Path text, Path logits, Settings settings, BooleanSupplier cancelled,
                                    Progress progress) throws IOException, InterruptedException, LlamaCppException {
        List<String> command = command(toolchain, model, settings);
        command.addAll(List.of("-f", text.toString(), "--kl-divergence-base", logits.toString()));
        String said = run(command, settings, cancelled, chunks(PPL_CHUNK, progress));
        Matcher estimate = FINAL.matcher(said);
        if (!estimate.find()) {
            throw new LlamaCppException("llama-perplexity gave no perplexity for " + model.getFileName() + "; it last said: " + lastWords(said));
        }
        int chunks = match(CHUNKS, said).map(Integer::parseInt).orElse(0);
        return new Baseline(Double.parseDouble(estimate.group(1)), Double.parseDouble(estimate.group(2)), chunks, promptSpeed(said));
    }

    /** {@code model}'s perplexity and divergence over the tokens and log-probabilities {@link #baseline} saved. */
    public static Divergence divergence(LlamaCppBuild.Toolchain toolchain, Path model, Path logits, Settings settings, BooleanSupplier cancelled,
                                        Progress progress) throws IOException, InterruptedException, LlamaCppException {
        List<String> command = command(toolchain, model, settings);
        command.addAll(List.of("--kl-divergence-base", logits.toString(), "--kl-divergence"));
        String said = run(command, settings, cancelled, chunks(KLD_CHUNK, progress));
        double[] ppl = pair(said, "Mean PPL\\(Q\\)\\s*:");
        double[] base = pair(said, "Mean PPL\\(base\\)\\s*:");
        double[] delta = pair(said, "Mean PPL\\(Q\\)-PPL\\(base\\)\\s*:");
        double[] kld = pair(said, "Mean\\s+KLD:");
        double[] top = pair(said, "Same top p:");
        if (ppl == null || base == null || delta == null || kld == null || top == null) {
            throw new LlamaCppException("llama-perplexity gave no KL divergence for " + model.getFileName()
                    + " (it needs 100 scored tokens: more text, chunks or ctx); it last said: " + lastWords(said));
        }
        return new Divergence(ppl[0], ppl[1], base[0], delta[0], delta[1], kld[0], kld[1], single(said, "99\\.0%\\s+KLD:"), single(said, "Maximum KLD:"),
                top[0], top[1], promptSpeed(said));
    }

    /** Reads llama-perplexity's pieces of output for the chunk count, then for each chunk done. */
    private static Consumer<String> chunks(Pattern chunkDone, Progress progress) {
        java.util.concurrent.atomic.AtomicInteger of = new java.util.concurrent.atomic.AtomicInteger();
        return piece -> {
            match(CHUNKS, piece).ifPresent(n -> of.set(Integer.parseInt(n)));
            if (of.get() > 0) {
                match(chunkDone, piece).ifPresent(n -> progress.chunk(Integer.parseInt(n), of.get()));
            }
        };
    }

    private static List<String> command(LlamaCppBuild.Toolchain toolchain, Path model, Settings settings) {
        List<String> command = new ArrayList<>(List.of(toolchain.tool("llama-perplexity").toString(), "-m", model.toString(), "-c",
                String.valueOf(settings.ctx()), "-ngl", toolchain.backend() == LlamaCppBuild.Backend.CUDA ? "999" : "0",
                // llama.cpp's own info lines (the prompt speed among them) are below the tools' default verbosity
                "--log-verbosity", "4"));
        if (settings.chunks() > 0) {
            command.addAll(List.of("--chunks", String.valueOf(settings.chunks())));
        }
        return command;
    }

    /** Everything llama-perplexity said, standard output then standard error; its failure in its own words. */
    private static String run(List<String> command, Settings settings, BooleanSupplier cancelled, Consumer<String> piece)
            throws IOException, InterruptedException, LlamaCppException {
        LlamaTool.Output output = LlamaTool.run(command, settings.timeout(), cancelled, piece);
        if (output.timedOut()) {
            throw new LlamaCppException("llama-perplexity did not finish within " + settings.timeout().toSeconds() + " s (stopped); it last said: "
                    + output.says());
        }
        if (output.status() != 0) {
            throw new LlamaCppException(output.says().isEmpty() ? "llama-perplexity exited with status " + output.status() : output.says());
        }
        return output.stdout() + "\n" + String.join("\n", output.stderr());
    }

    private static double promptSpeed(String said) {
        return match(PROMPT_EVAL, said).map(Double::parseDouble).orElse(0.0);
    }

    /** A statistic printed as "label value ± error". */
    private static double[] pair(String said, String label) {
        Matcher m = Pattern.compile(label + "\\s*" + NUMBER + "\\s*±\\s*" + NUMBER).matcher(said);
        return m.find() ? new double[] {number(m.group(1)), number(m.group(2))} : null;
    }

    private static double single(String said, String label) {
        Matcher m = Pattern.compile(label + "\\s*" + NUMBER).matcher(said);
        return m.find() ? number(m.group(1)) : Double.NaN;
    }

    private static double number(String text) {
        return text.endsWith("nan") ? Double.NaN : text.endsWith("inf") ? (text.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY)
                : Double.parseDouble(text);
    }

    private static Optional<String> match(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        if (!m.find()) {
            return Optional.empty();
        }
        for (int g = 1; g <= m.groupCount(); g++) {
            if (m.group(g) != null) {
                return Optional.of(m.group(g));
            }
        }
        return Optional.empty();
    }

    private static String lastWords(String said) {
        return LlamaTool.mostTelling(said.lines().toList());
    }
}
