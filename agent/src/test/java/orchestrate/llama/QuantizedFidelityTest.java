package orchestrate.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import orchestrate.conversion.QuantizePlan;
import orchestrate.conversion.SinglePass;
import orchestrate.model.CheckpointSource;
import orchestrate.quant.FileType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our quantized files in llama.cpp. First, that llama.cpp decodes our blocks to what we think we
 * wrote: its greedy continuations equal the reference forward pass run on our own dequantization
 * of the same file. Then what each type costs in quality, measured in Java against the original
 * weights.
 */
class QuantizedFidelityTest {

    /** From best to worst: the order quality must follow. */
    static final List<FileType> TYPES = List.of(FileType.Q8_0, FileType.Q6_K, FileType.Q5_K_M, FileType.Q4_K_M, FileType.Q3_K_M, FileType.Q2_K);

    static final List<String> PROMPTS = List.of("The box was rented by the hour", "Hello, world! The hub said it had 32 layers.",
            "Questions and answers, prompts and replies", "the disk filled up", "Quantization of the weights", "verify the checksum before shutdown",
            "A config.json that lies about layers", "download, inspect, patch, convert", "she paid for the night", "tensors and tokens",
            "fused gate and up projections", "llama.cpp loads the result", "The model said", "It was", "When the run finished", "we fetched the files",
            "Why did the converter fail?", "Forty layers, not thirty-two", "the hidden size is 5120", "vocabulary of one hundred thousand",
            "Is it safe to shut down?", "resume the download", "the price per hour", "A small model", "ask the agent", "bring them home",
            "error: missing tensor", "wrong number of tensors", "Q4_K_M or Q3_K_M", "the night was long", "Every step logged", "done.");

    /**
     * Where the reference's best token leads the runner-up by less than this many logits, llama.cpp
     * may pick the other one without either being wrong: its CPU kernels keep the KV cache in F16,
     * sum in another order and round activations to 8 bits in their own way (the reference copies
     * ggml's rounding, not its kernels). The logits of this tiny random model span about +-20; the
     * widest margin llama.cpp was seen to overturn was 0.46. Comparisons stop at the first call
     * closer than 1.0. A wrong dequantization moves logits by whole units: swapping two Q4_K group
     * minimums made Q4_K_M differ on the very first prompt.
     */
    static final float NEAR_TIE = 1.0f;

    @TempDir
    static Path dir;
    static Path model;
    static List<Path> files;

    @BeforeAll
    static void quantizeOnce() throws Exception {
        model = orchestrate.model.GoldenModel.patched(dir.resolve("model"));
        files = TYPES.stream().map(t -> dir.resolve("mibera-" + t + ".gguf")).toList();
        try (CheckpointSource source = new CheckpointSource(model, "ref-mibera", null, null, null)) {
            SinglePass.run(source, new QuantizePlan(source, TYPES, files).outputs(), 2, (done, total) -> { });
        }
    }

    @Test
    void llamaCppContinuesEveryPromptAsTheReferenceDoesOnOurDequantizedWeights() throws Exception {
        ReferenceBpe bpe = new ReferenceBpe(model.resolve("tokenizer.json"));
        for (int i = 0; i < TYPES.size(); i++) {
            ReferenceForward forward = ReferenceForward.fromGguf(files.get(i), model.resolve("config.json"));
            LlamaRun.Result llama = LlamaRun.generate(files.get(i), PROMPTS, 16, 300);
            assertTrue(llama.ok(), TYPES.get(i) + ": llama.cpp could not load our file: " + llama.error() + " / " + llama.llamaSays());
            int compared = 0;
            List<String> wrong = new ArrayList<>();
            for (int p = 0; p < PROMPTS.size(); p++) {
                List<ReferenceForward.Step> steps = forward.greedy(bpe.encode(PROMPTS.get(p)), 16);
                // Compare up to the first near-tie, or the first special token (llama.cpp stops at end-of-text ones).
                int clear = 0;
                while (clear < steps.size() && steps.get(clear).margin() >= NEAR_TIE && !bpe.isSpecial(steps.get(clear).token())) {
                    clear++;
                }
                // A byte token that is half a character shows as U+FFFD on our side and not yet on llama.cpp's.
                String expected = bpe.decode(steps.subList(0, clear).stream().map(ReferenceForward.Step::token).toList()).replaceAll("\uFFFD+$", "");
                compared += clear;
                if (!llama.texts().get(p).startsWith(expected)) {
                    wrong.add("\"" + PROMPTS.get(p) + "\": reference \"" + expected + "\", llama.cpp \"" + llama.texts().get(p) + "\"");
                }
            }
            assertEquals(List.of(), wrong, TYPES.get(i) + " decodes differently in llama.cpp");
            assertTrue(compared >= 40, TYPES.get(i) + ": only " + compared + " tokens were clear enough to compare");
        }
    }

    /**
     * KL divergence of the quantized model's next-token distribution from the original's, and how
     * often both pick the same token, over all 300 positions of a text. This random model is far more
     * sensitive than a trained one (its KL is larger), but the order is what matters. The bounds are
     * twice the KL measured here and 0.1 under the agreement: room for float rounding, none for a
     * broken quantizer (swapping two Q4_K group minimums took Q4_K_M's KL from 0.31 to 23).
     */
    @Test
    void qualityFallsInTheOrderOfTheBitsAndStaysWithinBounds() throws Exception {
        ReferenceBpe bpe = new ReferenceBpe(model.resolve("tokenizer.json"));
        List<Integer> text = new ArrayList<>();
        for (String prompt : PROMPTS) {
            text.addAll(bpe.encode(prompt + ". "));
        }
        while (text.size() < 300) {
            text.addAll(new ArrayList<>(text));
        }
        text = text.subList(0, 300);
        float[][] original = new ReferenceForward(model).logits(text, 0);
        double[] maxKl = {0.01, 0.075, 0.175, 0.62, 1.7, 7.6};
        double[] minAgreement = {0.87, 0.81, 0.75, 0.65, 0.55, 0.27};
        double previousKl = 0;
        double previousAgreement = 1;
        for (int i = 0; i < TYPES.size(); i++) {
            float[][] quantized = ReferenceForward.fromGguf(files.get(i), model.resolve("config.json")).logits(text, 0);
            double kl = 0;
            int agree = 0;
            for (int t = 0; t < original.length; t++) {
                kl += klDivergence(original[t], quantized[t]);
                agree += argmax(original[t]) == argmax(quantized[t]) ? 1 : 0;
            }
            kl /= original.length;
            double agreement = (double) agree / original.length;
            System.out.printf(Locale.ROOT, "%-7s KL %.5f  top-1 agreement %.3f%n", TYPES.get(i), kl, agreement);
            assertTrue(kl <= maxKl[i], TYPES.get(i) + ": KL " + kl + " > " + maxKl[i]);
            assertTrue(agreement >= minAgreement[i], TYPES.get(i) + ": top-1 agreement " + agreement + " < " + minAgreement[i]);
            assertTrue(kl > previousKl, TYPES.get(i) + " is no worse than the type before it: KL " + kl + " <= " + previousKl);
            assertTrue(agreement <= previousAgreement, TYPES.get(i) + " agrees more often than the type before it");
            previousKl = kl;
            previousAgreement = agreement;
        }
    }

    static double klDivergence(float[] p, float[] q) {
        double[] logP = logSoftmax(p);
        double[] logQ = logSoftmax(q);
        double kl = 0;
        for (int i = 0; i < p.length; i++) {
            kl += Math.exp(logP[i]) * (logP[i] - logQ[i]);
        }
        return kl;
    }

    static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        double log = Math.log(sum) + max;
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - log;
        }
        return out;
    }

    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
