package orchestrate.safetensors;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The header of one safetensors file, read without touching its data: u64 little-endian length
 * N, N bytes of UTF-8 JSON, then the data. Every rule of the format is checked here, so a file
 * that passes can be sliced by offset without further checks.
 *
 * @param headerLength N, the JSON's length including any padding
 */
public record SafetensorsHeader(String file, List<TensorEntry> tensors, Map<String, String> metadata, long headerLength, long fileSize) {

    /** The format's own limit (the safetensors crate refuses larger headers). */
    public static final long MAX_HEADER = 100_000_000;
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** Where tensor data begins in the file. */
    public long dataStart() {
        return 8 + headerLength;
    }

    public static SafetensorsHeader read(ByteSource source) throws IOException, SafetensorsException {
        String file = source.name();
        long size = source.size();
        if (size < 8) {
            throw new SafetensorsException(file, "is " + size + " bytes; a safetensors file starts with an 8-byte header length");
        }
        long length = ByteBuffer.wrap(source.read(0, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (length < 0 || length > MAX_HEADER) {
            throw new SafetensorsException(file, "declares a header of " + Long.toUnsignedString(length)
                    + " bytes, over the format's limit of " + MAX_HEADER);
        }
        if (8 + length > size) {
            throw new SafetensorsException(file, "declares a header of " + length + " bytes but the file has only "
                    + (size - 8) + " after the length (truncated download?)");
        }
        JsonNode root = parse(file, source.read(8, (int) length));
        if (!root.isObject()) {
            throw new SafetensorsException(file, "header is JSON but not an object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorEntry> tensors = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals("__metadata__")) {
                metadata(file, field.getValue(), metadata);
            } else {
                tensors.add(tensor(file, field.getKey(), field.getValue()));
            }
        }
        checkLayout(file, tensors, size - 8 - length);
        return new SafetensorsHeader(file, List.copyOf(tensors), metadata, length, size);
    }

    private static JsonNode parse(String file, byte[] bytes) throws SafetensorsException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file, "header is not valid UTF-8");
        }
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String message = e.getOriginalMessage();
            if (message != null && message.startsWith("Duplicate field ")) {
                throw new SafetensorsException(file, "header names the tensor " + message.substring("Duplicate field ".length()) + " twice");
            }
            throw new SafetensorsException(file, "header is not valid JSON (" + (message == null ? "unreadable" : message.lines().findFirst().orElse("")) + ")");
        }
    }

    private static void metadata(String file, JsonNode node, Map<String, String> into) throws SafetensorsException {
        if (!node.isObject()) {
            throw new SafetensorsException(file, "__metadata__ must map strings to strings");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getValue().isTextual()) {
                throw new SafetensorsException(file, "__metadata__ value of '" + entry.getKey() + "' is not a string");
            }
            into.put(entry.getKey(), entry.getValue().asText());
        }
    }

    private static TensorEntry tensor(String file, String name, JsonNode node) throws SafetensorsException {
        if (!node.isObject()) {
            throw new SafetensorsException(file, name, "is not an object with dtype, shape and data_offsets");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new SafetensorsException(file, name, "has no dtype");
        }
        DType dtype = DType.named(dtypeNode.asText()).orElseThrow(() -> new SafetensorsException(file, name,
                "has dtype '" + dtypeNode.asText() + "', which is not one of " + Arrays.toString(DType.values())));
        long[] shape = integers(file, name, node.get("shape"), "shape", -1);
        long[] offsets = integers(file, name, node.get("data_offsets"), "data_offsets", 2);
        if (offsets[1] < offsets[0]) {
            throw new SafetensorsException(file, name, "ends (" + offsets[1] + ") before it begins (" + offsets[0] + ")");
        }
        TensorEntry entry = new TensorEntry(name, dtype, shape, offsets[0], offsets[1]);
        long needed;
        try {
            needed = Math.multiplyExact(entry.elements(), dtype.bytes());
        } catch (ArithmeticException e) {
            throw new SafetensorsException(file, name, "has a shape too large to address: " + Arrays.toString(shape));
        }
        if (needed != entry.bytes()) {
            throw new SafetensorsException(file, name, "holds " + entry.bytes() + " bytes, but " + dtype + " x "
                    + Arrays.toString(shape) + " needs " + needed);
        }
        return entry;
    }

    private static long[] integers(String file, String name, JsonNode node, String field, int count) throws SafetensorsException {
        if (node == null || !node.isArray() || (count >= 0 && node.size() != count)) {
            throw new SafetensorsException(file, name, "has no valid " + field + (count >= 0 ? " (expected " + count + " integers)" : ""));
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode value = node.get(i);
            if (!value.canConvertToLong() || !value.isIntegralNumber() || value.asLong() < 0) {
                throw new SafetensorsException(file, name, "has " + field + " with '" + value + "', not a non-negative integer");
            }
            values[i] = value.asLong();
        }
        return values;
    }

    /** Tensors must tile the data section exactly: from 0, no gap, no overlap, nothing after. */
    private static void checkLayout(String file, List<TensorEntry> tensors, long dataLength) throws SafetensorsException {
        List<TensorEntry> byOffset = new ArrayList<>(tensors);
        byOffset.sort(Comparator.comparingLong(TensorEntry::begin).thenComparingLong(TensorEntry::end));
        long expected = 0;
        TensorEntry previous = null;
        for (TensorEntry tensor : byOffset) {
            if (tensor.begin() < expected) {
                throw new SafetensorsException(file, tensor.name(), "overlaps '" + previous.name() + "' (bytes " + tensor.begin()
                        + " to " + tensor.end() + " against " + previous.begin() + " to " + previous.end() + ")");
            }
            if (tensor.begin() > expected) {
                throw new SafetensorsException(file, tensor.name(), "starts at byte " + tensor.begin() + ", leaving a gap of "
                        + (tensor.begin() - expected) + " bytes " + (previous == null ? "at the start of the data" : "after '" + previous.name() + "'"));
            }
            expected = tensor.end();
            previous = tensor;
        }
        if (expected != dataLength) {
            throw new SafetensorsException(file, expected > dataLength
                    ? "tensors need " + expected + " bytes of data but the file has " + dataLength + " (truncated download?)"
                    : "has " + (dataLength - expected) + " bytes after the last tensor's data");
        }
    }
}
