package orchestrate.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import orchestrate.toolchain.LlamaCppBuild;

/**
 * The fidelity check against the current llama.cpp: its greedy continuations of several prompts on an
 * F32 file equal those of the reference forward pass on the checkpoint, whose choices must be clear of ties.
 */
final class CurrentFidelity {

    private CurrentFidelity() {}

    /** How the reference turns a prompt into ids, and a continuation's ids into the text llama-simple prints for them. */
    interface Tokenizer {
        List<Integer> encode(String prompt) throws Exception;

        String continuation(List<Integer> prompt, List<Integer> generated) throws Exception;
    }

    static void assertContinuesAsTheReference(LlamaCppBuild.Toolchain toolchain, Path checkpoint, Path f32) throws Exception {
        assertContinuesAsTheReference(toolchain, new ReferenceForward(checkpoint)::greedy, checkpoint.resolve("tokenizer.json"), f32);
    }

    static void assertContinuesAsTheReference(LlamaCppBuild.Toolchain toolchain, Path checkpoint, Path f32, Tokenizer tokenizer) throws Exception {
        assertContinuesAsTheReference(toolchain, new ReferenceForward(checkpoint)::greedy, f32, tokenizer);
    }

    /** A reference forward pass: the greedy continuation of a prompt's ids, with each choice's margin. */
    interface Reference {
        List<ReferenceForward.Step> greedy(List<Integer> prompt, int count) throws Exception;
    }

    /** The reference's tokenizer is tokenizer.json's (byte-level BPE). */
    static void assertContinuesAsTheReference(LlamaCppBuild.Toolchain toolchain, Reference forward, Path tokenizerJson, Path f32) throws Exception {
        ReferenceBpe bpe = new ReferenceBpe(tokenizerJson);
        assertContinuesAsTheReference(toolchain, forward, f32, new Tokenizer() {
            @Override
            public List<Integer> encode(String prompt) {
                return bpe.encode(prompt);
            }

            @Override
            public String continuation(List<Integer> prompt, List<Integer> generated) {
                return bpe.decodeShowingSpecials(generated);
            }
        });
    }

    static void assertContinuesAsTheReference(LlamaCppBuild.Toolchain toolchain, Reference forward, Path f32, Tokenizer tokenizer) throws Exception {
        List<String> differing = new ArrayList<>();
        float smallest = Float.MAX_VALUE;
        for (String prompt : LlamaLoadTest.FIDELITY_PROMPTS) {
            List<Integer> ids = tokenizer.encode(prompt);
            List<ReferenceForward.Step> steps = forward.greedy(ids, 16);
            for (ReferenceForward.Step step : steps) {
                smallest = Math.min(smallest, step.margin());
            }
            String expected = tokenizer.continuation(ids, steps.stream().map(ReferenceForward.Step::token).toList());
            String continued = Generation.run(toolchain, f32, prompt, 16, Duration.ofSeconds(120), () -> false).text();
            if (!expected.equals(continued)) {
                differing.add("\"" + prompt + "\": reference \"" + expected + "\", llama.cpp \"" + continued + "\"");
            }
        }
        System.out.printf("%s: smallest top-1 margin of the reference %.4f%n", f32.getFileName(), smallest);
        assertTrue(smallest > 1e-3f, "the reference's choices must be clear of ties; smallest margin " + smallest + "; differing: " + differing);
        assertEquals(List.of(), differing, f32.getFileName().toString());
    }
}
