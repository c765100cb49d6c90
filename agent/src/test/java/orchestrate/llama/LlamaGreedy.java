package orchestrate.llama;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Runs in a child JVM: loads a GGUF in llama.cpp (JNI), generates greedily, prints the text as
 * base64 of its UTF-8 on one line, and exits. A child process because the binding leaves a
 * non-daemon thread behind and a native abort must not take the test runner down.
 */
public final class LlamaGreedy {

    private LlamaGreedy() {}

    public static void main(String[] args) {
        String model = args[0];
        String prompt = args[1];
        int tokens = Integer.parseInt(args[2]);
        try (LlamaModel llama = new LlamaModel(new ModelParameters().setModel(model).setCtxSize(256).setThreads(1).setGpuLayers(0))) {
            String text = llama.complete(new InferenceParameters(prompt).setNPredict(tokens).setTemperature(0).setTopK(1).setSeed(1));
            System.out.println("TEXT " + Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8)));
        } catch (Throwable e) {
            System.out.println("FAILED " + e);
            System.exit(1);
        }
        System.exit(0);
    }
}
