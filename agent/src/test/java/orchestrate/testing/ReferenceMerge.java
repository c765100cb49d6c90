package orchestrate.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The merge a LoRA adapter asks for, written plainly in the test code from the safetensors bytes
 * (its own header parsing, its own bfloat16 rounding): for each lora_A/lora_B pair, W + scale * B A,
 * the product summed in double, the delta rounded to float32 and added in float32, the sum rounded
 * to the nearest bfloat16 (ties to even); modules_to_save tensors replace the base's. Works on BF16
 * bases and adapters, as the tests generate them.
 */
public final class ReferenceMerge {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PREFIX = "base_model.model.";

    private ReferenceMerge() {}

    /** A tensor in a safetensors file: where its bytes start, and its shape. */
    public record Located(Path file, long offset, long[] shape) {}

    /** Copies the base into {@code target} and overwrites every tensor the adapter changes with the reference merge. */
    public static void write(Path base, Path adapter, Path target) throws IOException {
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(base)) {
            for (Path file : files.toList()) {
                Files.copy(file, target.resolve(file.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        JsonNode config = JSON.readTree(adapter.resolve("adapter_config.json").toFile());
        int rank = config.path("r").asInt();
        double alpha = config.path("lora_alpha").asDouble();
        double scale = config.path("use_rslora").asBoolean() ? alpha / Math.sqrt(rank) : alpha / rank;
        Map<String, Located> merged = tensors(target);
        Map<String, Located> lora = tensors(adapter);
        for (Map.Entry<String, Located> entry : lora.entrySet()) {
            String name = entry.getKey().substring(PREFIX.length());
            if (name.endsWith(".lora_A.weight")) {
                String module = name.substring(0, name.length() - ".lora_A.weight".length());
                Located w = merged.get(module + ".weight");
                if (w == null) {
                    mergeStacked(config, module, entry.getValue(), lora.get(PREFIX + module + ".lora_B.weight"), merged, scale, rank);
                    continue;
                }
                float[] a = read(entry.getValue());
                float[] b = read(lora.get(PREFIX + module + ".lora_B.weight"));
                float[] weights = read(w);
                boolean transposed = config.path("fan_in_fan_out").asBoolean(false); // W stored [in, out]
                int out = (int) w.shape()[transposed ? 1 : 0];
                int in = (int) w.shape()[transposed ? 0 : 1];
                double own = scale(config, module, alpha, rank);
                for (int o = 0; o < out; o++) {
                    for (int j = 0; j < in; j++) {
                        double sum = 0;
                        for (int k = 0; k < rank; k++) {
                            sum += (double) b[o * rank + k] * a[k * in + j];
                        }
                        int at = transposed ? j * out + o : o * in + j;
                        weights[at] = weights[at] + (float) (own * sum);
                    }
                }
                overwrite(w, weights);
            } else if (!name.endsWith(".lora_B.weight")) {
                overwrite(merged.get(name), read(entry.getValue()));
            }
        }
    }

    /** alpha / r, or alpha / sqrt(r) with rsLoRA, alpha from the first alpha_pattern key that ends the target's path (PEFT's {@code (.*\.)?(key)$}). */
    private static double scale(JsonNode config, String target, double alpha, int rank) {
        double own = alpha;
        for (Iterator<Map.Entry<String, JsonNode>> it = config.path("alpha_pattern").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> pattern = it.next();
            if (target.matches("(.*\\.)?(" + pattern.getKey() + ")$")) {
                own = pattern.getValue().asDouble();
                break;
            }
        }
        return config.path("use_rslora").asBoolean() ? own / Math.sqrt(rank) : own / rank;
    }

    /**
     * A LoRA pair on a stacked [experts, d1, d2] parameter (PEFT's target_parameters): the parameter is the one of the
     * module's targets whose shape the factors fit, and the delta is PEFT's
     * {@code einsum("o r e, e r i -> e i o", B.reshape(out, r, E), A.reshape(E, r, in))}, or "e o i" when the factors come
     * in the exchanged layout.
     */
    private static void mergeStacked(JsonNode config, String module, Located aTensor, Located bTensor, Map<String, Located> merged, double scale, int rank)
            throws IOException {
        String owner = module.replace(".base_layer", "");
        for (JsonNode target : config.path("target_parameters")) {
            String parameter = owner + "." + target.asText().substring(target.asText().lastIndexOf('.') + 1);
            Located w = merged.get(parameter);
            if (w == null || !parameter.endsWith(target.asText())) {
                continue;
            }
            int experts = (int) w.shape()[0];
            int d1 = (int) w.shape()[1];
            int d2 = (int) w.shape()[2];
            boolean straight = aTensor.shape()[1] == d1 && bTensor.shape()[0] == d2;
            boolean swapped = aTensor.shape()[1] == d2 && bTensor.shape()[0] == d1;
            if (!straight && !swapped) {
                continue;
            }
            float[] a = read(aTensor);
            float[] b = read(bTensor);
            float[] weights = read(w);
            int in = (int) aTensor.shape()[1];
            int columns = rank * experts;
            for (int e = 0; e < experts; e++) {
                for (int x = 0; x < d1; x++) {
                    for (int y = 0; y < d2; y++) {
                        int i = straight ? x : y; // A's column
                        int o = straight ? y : x; // B's row
                        double sum = 0;
                        for (int k = 0; k < rank; k++) {
                            sum += (double) b[o * columns + k * experts + e] * a[(e * rank + k) * in + i];
                        }
                        int at = (e * d1 + x) * d2 + y;
                        weights[at] = weights[at] + (float) (scale * sum);
                    }
                }
            }
            overwrite(w, weights);
            return;
        }
        throw new IllegalArgumentException(module + ": no target parameter fits");
    }

    /** Every tensor of every safetensors file in {@code dir}, by name. */
    public static Map<String, Located> tensors(Path dir) throws IOException {
        Map<String, Located> tensors = new HashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".safetensors")).toList()) {
                try (FileChannel channel = FileChannel.open(file)) {
                    ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                    channel.read(length, 0);
                    int headerLength = (int) length.flip().getLong();
                    ByteBuffer header = ByteBuffer.allocate(headerLength);
                    channel.read(header, 8);
                    JsonNode json = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
                    for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> field = it.next();
                        if (field.getKey().equals("__metadata__")) {
                            continue;
                        }
                        if (!field.getValue().path("dtype").asText().equals("BF16")) {
                            throw new IllegalArgumentException(field.getKey() + " is not BF16; the reference merges BF16 tensors");
                        }
                        long[] shape = new long[field.getValue().path("shape").size()];
                        for (int i = 0; i < shape.length; i++) {
                            shape[i] = field.getValue().path("shape").get(i).asLong();
                        }
                        tensors.put(field.getKey(), new Located(file, 8 + headerLength + field.getValue().path("data_offsets").get(0).asLong(), shape));
                    }
                }
            }
        }
        return tensors;
    }

    public static float[] read(Located tensor) throws IOException {
        long count = 1;
        for (long dimension : tensor.shape()) {
            count *= dimension;
        }
        ByteBuffer bytes = ByteBuffer.allocate((int) count * 2).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel channel = FileChannel.open(tensor.file())) {
            while (bytes.hasRemaining()) {
                channel.read(bytes, tensor.offset() + bytes.position());
            }
        }
        bytes.flip();
        float[] values = new float[(int) count];
        for (int i = 0; i < values.length; i++) {
            values[i] = Float.intBitsToFloat((bytes.getShort() & 0xFFFF) << 16);
        }
        return values;
    }

    /** Writes {@code values} over the tensor's bytes, each rounded to the nearest bfloat16. */
    public static void overwrite(Located tensor, float[] values) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            bytes.putShort(nearestBf16(value));
        }
        bytes.flip();
        try (FileChannel channel = FileChannel.open(tensor.file(), StandardOpenOption.WRITE)) {
            while (bytes.hasRemaining()) {
                channel.write(bytes, tensor.offset() + bytes.position());
            }
        }
    }

    /** The bfloat16 nearest to a finite value: of the two neighbours, the closer; on a tie, the one whose last bit is 0. */
    static short nearestBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int toward = bits & 0xFFFF0000;
        int away = toward + 0x10000;
        double below = Math.abs((double) value - Float.intBitsToFloat(toward));
        double above = Math.abs((double) Float.intBitsToFloat(away) - value);
        int chosen = below < above ? toward : above < below ? away : ((toward >>> 16) & 1) == 0 ? toward : away;
        return (short) (chosen >>> 16);
    }
}
