package orchestrate.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import orchestrate.conversion.QuantizePlan;
import orchestrate.conversion.SinglePass;
import orchestrate.gguf.GgufFile;
import orchestrate.model.CheckpointSource;
import orchestrate.quant.FileType;
import orchestrate.testing.CurrentLlamaCpp;
import orchestrate.toolchain.LlamaCppBuild;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * llama-perplexity's mean KL divergence of our Q8_0 from our F16 agrees with the KL our reference
 * forward pass computes on the same tokens, in the same chunks, at the same positions.
 *
 * <p>The tolerance, derived: llama.cpp's number differs from the reference's in two ways. (1) It
 * keeps the baseline's log-probabilities as 16-bit steps of at most 16/65535 nats and drops terms
 * below e^-16: at most about 1.2e-4 nats per position (half a step, weighted by probabilities that
 * sum to 1); 2e-4 covers it. (2) Its kernels are not the reference's (summation order, F16 KV
 * cache, its own rounding of activations), so each side's logits are the reference's plus an error
 * e. For small differences KL is half a squared distance, so llama.cpp measures
 * |d + e_q - e_b|^2/2 = KL + <d, e_q - e_b> + |e_q - e_b|^2/2, and by Cauchy-Schwarz that is within
 * 2 sqrt(KL) s + s^2 of KL, where s = sqrt(eps_q) + sqrt(eps_b) and eps = |e|^2/2 is each side's
 * own KL from the reference. Both are measured here: llama-perplexity saves either file's
 * log-probabilities over the same tokens, and we compare them with the reference's. On F16 the two
 * agree to a KL of about 3e-6; on Q8_0 only to about 2e-3 (the reference rounds the activations to
 * Q8_0 as ggml's generic kernels do, but llama.cpp's CPU path for Q8_0 weights, repacked for this
 * CPU's SIMD, is not exactly that; not isolated further), which is what widens the tolerance. The statistic
 * itself is checked tightly: it is the mean KL of llama.cpp's own two saved distributions.
 */
class KlDivergenceAgreementTest {

    @TempDir
    Path dir;

    @Test
    void llamaCppsMeanKldOfQ8_0AgreesWithTheReferenceForwardPass() throws Exception {
        LlamaCppBuild.Toolchain toolchain = CurrentLlamaCpp.toolchain();
        Path model = orchestrate.model.GoldenModel.patched(dir.resolve("model"));
        Path f16 = dir.resolve("mibera-F16.gguf");
        Path q8 = dir.resolve("mibera-Q8_0.gguf");
        try (CheckpointSource source = new CheckpointSource(model, "ref-mibera", null, null, null)) {
            SinglePass.run(source, new QuantizePlan(source, List.of(FileType.F16, FileType.Q8_0), List.of(f16, q8)).outputs(), 2, (d, t) -> { });
        }
        Path text = dir.resolve("evaluation.txt");
        try (InputStream shipped = getClass().getResourceAsStream("/orchestrate/llama/evaluation.txt")) {
            Files.copy(shipped, text);
        }
        Path logits = dir.resolve("base.logits");
        Perplexity.Settings settings = new Perplexity.Settings(128, 4, Duration.ofSeconds(300));

        Path quantizedLogits = dir.resolve("q8.logits");
        Perplexity.baseline(toolchain, f16, text, logits, settings, () -> false, (done, of) -> { });
        Perplexity.baseline(toolchain, q8, text, quantizedLogits, settings, () -> false, (done, of) -> { });
        Perplexity.Divergence llama = Perplexity.divergence(toolchain, q8, logits, settings, () -> false, (done, of) -> { });

        Saved saved = Saved.read(logits);
        Saved savedQuantized = Saved.read(quantizedLogits);
        assertEquals(saved.tokens(), savedQuantized.tokens());
        assertEquals(4, saved.chunks());
        GgufFile file = GgufFile.read(f16);
        boolean addBos = file.metadata().containsKey("tokenizer.ggml.add_bos_token") && file.metadata().get("tokenizer.ggml.add_bos_token").asBool();
        int bos = file.metadata().containsKey("tokenizer.ggml.bos_token_id") ? (int) file.metadata().get("tokenizer.ggml.bos_token_id").asLong() : -1;
        ReferenceForward base = ReferenceForward.fromGguf(f16, model.resolve("config.json"));
        ReferenceForward quantized = ReferenceForward.fromGguf(q8, model.resolve("config.json"));
        int first = saved.ctx() / 2;
        int scored = saved.ctx() - 1 - first;
        double kl = 0;
        double klOfSaved = 0;
        double noiseBase = 0;
        double noiseQuantized = 0;
        for (int c = 0; c < saved.chunks(); c++) {
            List<Integer> tokens = new ArrayList<>(saved.tokens().subList(c * saved.ctx(), (c + 1) * saved.ctx()));
            if (addBos) {
                tokens.set(0, bos);
            }
            float[][] p = base.logits(tokens, first);
            float[][] q = quantized.logits(tokens, first);
            for (int i = 0; i < scored; i++) {
                kl += QuantizedFidelityTest.klDivergence(p[i], q[i]);
                noiseBase += savedKl(saved.logProbs(c, i), QuantizedFidelityTest.logSoftmax(p[i]));
                noiseQuantized += savedKl(savedQuantized.logProbs(c, i), QuantizedFidelityTest.logSoftmax(q[i]));
                klOfSaved += savedKl(saved.logProbs(c, i), savedQuantized.logProbs(c, i));
            }
        }
        int count = saved.chunks() * scored;
        kl /= count;
        klOfSaved /= count;
        double epsBase = noiseBase / count;
        double epsQuantized = noiseQuantized / count;
        double s = Math.sqrt(epsBase) + Math.sqrt(epsQuantized);
        double tolerance = 2e-4 + 2 * Math.sqrt(kl) * s + s * s;
        System.out.printf(Locale.ROOT, "Q8_0 mean KLD: llama.cpp %.6f, of its saved log-probabilities %.6f, reference %.6f; llama.cpp vs reference: "
                + "F16 %.2e, Q8_0 %.2e; tolerance %.6f%n", llama.meanKld(), klOfSaved, kl, epsBase, epsQuantized, tolerance);

        // llama.cpp's statistic is the KL of its own two distributions: ours over both saved files differs by the quantized side's 16-bit steps.
        assertEquals(llama.meanKld(), klOfSaved, 2e-4, "llama-perplexity's mean KLD is the mean KL of its own log-probabilities");

        assertTrue(epsBase < kl / 100, "llama.cpp computes the F16 file as the reference does: " + epsBase + " vs " + kl);
        assertTrue(Math.abs(llama.meanKld() - kl) <= tolerance, "llama.cpp " + llama.meanKld() + " vs reference " + kl + ": more than " + tolerance);
    }

    /** KL(llama.cpp's saved baseline || the reference's), over the tokens llama.cpp kept (log-probability above -16). */
    private static double savedKl(double[] saved, double[] reference) {
        double kl = 0;
        for (int i = 0; i < reference.length; i++) {
            if (saved[i] > -16) {
                kl += Math.exp(saved[i]) * (saved[i] - reference[i]);
            }
        }
        return kl;
    }

    /** llama-perplexity's --kl-divergence-base file: its context, tokens and each scored position's log-probabilities. */
    record Saved(int ctx, int vocab, int chunks, List<Integer> tokens, ByteBuffer logProbs) {

        static Saved read(Path file) throws Exception {
            ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[8];
            in.get(magic);
            assertEquals("_logits_", new String(magic, StandardCharsets.US_ASCII));
            int ctx = in.getInt();
            int vocab = in.getInt();
            int chunks = in.getInt();
            List<Integer> tokens = new ArrayList<>();
            for (int i = 0; i < ctx * chunks; i++) {
                tokens.add(in.getInt());
            }
            return new Saved(ctx, vocab, chunks, tokens, in.slice().order(ByteOrder.LITTLE_ENDIAN));
        }

        /** The log-probabilities of position {@code i} of chunk {@code c}'s scored half, as llama.cpp reads them back. */
        double[] logProbs(int c, int i) {
            int nv = 2 * ((vocab + 1) / 2) + 4;
            int scored = ctx - 1 - ctx / 2;
            int at = ((c * scored) + i) * nv * 2;
            float scale = logProbs.getFloat(at);
            float min = logProbs.getFloat(at + 4);
            double[] out = new double[vocab];
            for (int t = 0; t < vocab; t++) {
                out[t] = scale * Short.toUnsignedInt(logProbs.getShort(at + 8 + 2 * t)) + min;
            }
            return out;
        }
    }
}
