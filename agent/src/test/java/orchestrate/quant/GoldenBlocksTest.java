package orchestrate.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import orchestrate.gguf.GgmlType;
import orchestrate.files.Hashing;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Our quantizers against llama.cpp's: the golden vectors are rows that llama-quantize itself
 * quantized (see golden/quant/README.md), edge cases included. Every byte must match.
 */
class GoldenBlocksTest {

    static final Path GOLDEN = Path.of("src/test/resources/golden/quant");

    static float[] rows(String file) throws Exception {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(GOLDEN.resolve(file))).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[bytes.remaining() / 4];
        bytes.asFloatBuffer().get(values);
        return values;
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "MXFP4"})
    void ourBlocksAreLlamaCppsBlocks(GgmlType type) throws Exception {
        assertBlocksAreLlamaCpps(type); // with the SIMD searches, as surefire's JVM has jdk.incubator.vector
    }

    @ParameterizedTest
    @EnumSource(names = {"Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    void theScalarSearchesWriteLlamaCppsBlocksToo(GgmlType type) throws Exception {
        System.setProperty(GroupFits.SCALAR_PROPERTY, "true");
        try {
            assertBlocksAreLlamaCpps(type);
        } finally {
            System.clearProperty(GroupFits.SCALAR_PROPERTY);
        }
    }

    private static void assertBlocksAreLlamaCpps(GgmlType type) throws Exception {
        JsonNode index = new ObjectMapper().readTree(GOLDEN.resolve("index.json").toFile());
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (Map.Entry<String, JsonNode> tensor : (Iterable<Map.Entry<String, JsonNode>>) index.get("tensors")::fields) {
            JsonNode input = tensor.getValue();
            byte[] inputBytes = Files.readAllBytes(GOLDEN.resolve(input.get("file").asText()));
            assertEquals(input.get("sha256").asText(), HexFormat.of().formatHex(Hashing.sha256().digest(inputBytes)), "golden input damaged");
            float[] x = rows(input.get("file").asText());
            JsonNode expected = index.get("types").get(type.name()).get(tensor.getKey());
            byte[] golden = Files.readAllBytes(GOLDEN.resolve(expected.get("file").asText()));
            int rowLength = input.get("row_length").asInt();
            int rowBytes = (int) type.bytesFor(rowLength);
            byte[] ours = new byte[golden.length];
            BlockCodec codec = BlockCodec.of(type);
            for (int row = 0; row < input.get("rows").asInt(); row++) {
                codec.quantize(x, row * rowLength, rowLength, ours, row * rowBytes);
            }
            for (int row = 0; row < input.get("rows").asInt(); row++) {
                for (int b = row * rowBytes; b < (row + 1) * rowBytes; b++) {
                    if (ours[b] != golden[b]) {
                        int block = (b - row * rowBytes) / type.typeSize();
                        wrong.add(tensor.getKey() + " row " + row + " block " + block + " byte " + (b - row * rowBytes) % type.typeSize()
                                + ": ours " + (ours[b] & 0xFF) + ", llama.cpp " + (golden[b] & 0xFF));
                        break;
                    }
                }
            }
            checked++;
        }
        assertEquals(4, checked);
        if (!wrong.isEmpty()) {
            fail(type + " differs from llama.cpp in " + wrong.size() + " rows:\n" + String.join("\n", wrong));
        }
    }
}
