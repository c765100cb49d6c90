package orchestrate.llama;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The child JVM's side of {@link LlamaRun}: loads a GGUF in llama.cpp (JNI), generates greedily,
 * prints one JSON line and exits. A process of its own, because a native abort must not take the
 * agent down and the binding leaves a non-daemon thread behind.
 */
public final class LlamaProbe {

    private LlamaProbe() {}

    /** {@code MODEL TOKENS PROMPT...} generates from each prompt; {@code --encode MODEL TEXT...} prints llama.cpp's token ids of each text. */
    public static void main(String[] args) {
        ObjectNode result = new ObjectMapper().createObjectNode();
        if (args.length > 0 && args[0].equals("--encode")) {
            try (LlamaModel llama = new LlamaModel(new ModelParameters().setModel(args[1]).setCtxSize(512).setGpuLayers(0).setThreads(1))) {
                var encoded = result.put("ok", true).putArray("ids");
                for (int i = 2; i < args.length; i++) {
                    var ids = encoded.addArray();
                    for (int id : llama.encode(args[i])) {
                        ids.add(id);
                    }
                }
            } catch (Throwable e) {
                result.put("ok", false).put("error", e.toString());
            }
            System.out.println("LLAMA " + result);
            System.out.flush();
            System.exit(0);
        }
        try {
            long start = System.nanoTime();
            int count = Integer.parseInt(args[1]);
            try (LlamaModel llama = new LlamaModel(new ModelParameters().setModel(args[0]).setCtxSize(512).setGpuLayers(0)
                    .setThreads(Math.max(1, Runtime.getRuntime().availableProcessors())))) {
                double loaded = (System.nanoTime() - start) / 1e9;
                var texts = result.putArray("texts");
                for (int p = 2; p < args.length; p++) {
                    StringBuilder text = new StringBuilder();
                    int tokens = 0;
                    long generating = System.nanoTime();
                    InferenceParameters greedy = new InferenceParameters(args[p]).setNPredict(count).setTemperature(0).setTopK(1).setSeed(1);
                    for (LlamaOutput output : llama.generate(greedy)) {
                        text.append(output.text);
                        tokens++;
                    }
                    double seconds = (System.nanoTime() - generating) / 1e9;
                    texts.add(Base64.getEncoder().encodeToString(text.toString().getBytes(StandardCharsets.UTF_8)));
                    if (p == 2) {
                        // The binding may close with an output that carries no token of its own.
                        tokens = Math.min(tokens, count);
                        result.put("tokens", tokens).put("tokens_per_second", tokens / Math.max(seconds, 1e-9));
                    }
                }
                result.put("ok", true).put("load_seconds", loaded);
            }
        } catch (UnsatisfiedLinkError e) {
            result.put("ok", false).put("unavailable", true).put("error", String.valueOf(e.getMessage()));
        } catch (Throwable e) {
            result.put("ok", false).put("error", e.toString());
        }
        System.out.println("LLAMA " + result);
        System.out.flush();
        System.exit(0);
    }
}
