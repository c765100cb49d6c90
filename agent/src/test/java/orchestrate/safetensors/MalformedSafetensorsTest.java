package orchestrate.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Broken files, each written byte by byte here, each refused with one precise message. */
class MalformedSafetensorsTest {

    @TempDir
    Path dir;

    /** u64 little-endian length, the header bytes, then the data. */
    static byte[] file(long declaredLength, byte[] header, int dataBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(declaredLength).array());
        out.writeBytes(header);
        out.writeBytes(new byte[dataBytes]);
        return out.toByteArray();
    }

    static byte[] file(String header, int dataBytes) {
        byte[] bytes = header.getBytes(StandardCharsets.UTF_8);
        return file(bytes.length, bytes, dataBytes);
    }

    static Stream<Arguments> broken() {
        return Stream.of(
                Arguments.of("shorter than the length field", new byte[5],
                        "m.safetensors: is 5 bytes; a safetensors file starts with an 8-byte header length"),
                Arguments.of("header length past the end", file(1000, "{}".getBytes(StandardCharsets.UTF_8), 0),
                        "m.safetensors: declares a header of 1000 bytes but the file has only 2 after the length (truncated download?)"),
                Arguments.of("header length over the limit", file(1L << 40, new byte[0], 0),
                        "m.safetensors: declares a header of 1099511627776 bytes, over the format's limit of 100000000"),
                Arguments.of("header not UTF-8", file(4, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}, 0),
                        "m.safetensors: header is not valid UTF-8"),
                Arguments.of("header not JSON", file("{\"a\": ", 0),
                        "m.safetensors: header is not valid JSON (Unexpected end-of-input within/between Object entries)"),
                Arguments.of("header a list", file("[]", 0),
                        "m.safetensors: header is JSON but not an object"),
                Arguments.of("duplicate tensor name", file("""
                        {"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8),
                        "m.safetensors: header names the tensor 'w' twice"),
                Arguments.of("unknown dtype", file("""
                        {"w":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}}""", 4),
                        "m.safetensors: tensor 'w' has dtype 'F12', which is not one of [BOOL, U8, I8, F8_E4M3, F8_E5M2, I16, U16, F16, BF16, I32, U32, F32, I64, U64, F64]"),
                Arguments.of("byte count not dtype x shape", file("""
                        {"w":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,10]}}""", 10),
                        "m.safetensors: tensor 'w' holds 10 bytes, but BF16 x [2, 3] needs 12"),
                Arguments.of("negative dimension", file("""
                        {"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4),
                        "m.safetensors: tensor 'w' has shape with '-1', not a non-negative integer"),
                Arguments.of("end before begin", file("""
                        {"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}""", 8),
                        "m.safetensors: tensor 'w' ends (4) before it begins (8)"),
                Arguments.of("overlapping tensors", file("""
                        {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12),
                        "m.safetensors: tensor 'b' overlaps 'a' (bytes 4 to 12 against 0 to 8)"),
                Arguments.of("gap between tensors", file("""
                        {"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12),
                        "m.safetensors: tensor 'b' starts at byte 8, leaving a gap of 4 bytes after 'a'"),
                Arguments.of("data not starting at zero", file("""
                        {"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8),
                        "m.safetensors: tensor 'a' starts at byte 4, leaving a gap of 4 bytes at the start of the data"),
                Arguments.of("data truncated", file("""
                        {"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 10),
                        "m.safetensors: tensors need 16 bytes of data but the file has 10 (truncated download?)"),
                Arguments.of("bytes after the last tensor", file("""
                        {"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 9),
                        "m.safetensors: has 5 bytes after the last tensor's data"),
                Arguments.of("metadata that is not strings", file("""
                        {"__metadata__":{"format":1},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4),
                        "m.safetensors: __metadata__ value of 'format' is not a string"),
                Arguments.of("missing data_offsets", file("""
                        {"a":{"dtype":"F32","shape":[1]}}""", 4),
                        "m.safetensors: tensor 'a' has no valid data_offsets (expected 2 integers)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("broken")
    void refusesWithOnePreciseMessage(String what, byte[] bytes, String expected) throws Exception {
        Path file = dir.resolve("m.safetensors");
        Files.write(file, bytes);
        SafetensorsException error = assertThrows(SafetensorsException.class,
                () -> SafetensorsHeader.read(new FileSource(file, "m.safetensors")));
        assertEquals(expected, error.getMessage());
    }

    @Test
    void headerPaddedWithSpacesAndSparseTensorsRead() throws Exception {
        Path file = dir.resolve("ok.safetensors");
        Files.write(file, file("""
                {"__metadata__":{"format":"pt"},"b":{"dtype":"BF16","shape":[2,2],"data_offsets":[8,16]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}      \
                """, 16));
        SafetensorsHeader header = SafetensorsHeader.read(new FileSource(file, "ok.safetensors"));
        assertEquals("[b BF16[2, 2], a F32[2]]", header.tensors().toString());
        assertEquals("pt", header.metadata().get("format"));
        assertEquals(8 + header.headerLength(), header.dataStart());
    }

    private void shard(String name, String header, int data) throws Exception {
        Files.write(dir.resolve(name), file(header, data));
    }

    @Test
    void indexNamingAMissingShardIsRefused() throws Exception {
        shard("model-00001-of-00002.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        Files.writeString(dir.resolve("model.safetensors.index.json"), """
                {"metadata":{"total_size":8},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}""");
        SafetensorsException error = assertThrows(SafetensorsException.class, () -> Checkpoint.open(new DirectoryFiles(dir)));
        assertEquals(dir.resolve("model.safetensors.index.json") + ": lists the shard 'model-00002-of-00002.safetensors' (for 1 tensors, such as 'b'), which is not in "
                + dir, error.getMessage());
    }

    @Test
    void indexNamingATensorItsShardLacksIsRefused() throws Exception {
        shard("model-00001-of-00001.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        Files.writeString(dir.resolve("model.safetensors.index.json"), """
                {"weight_map":{"a":"model-00001-of-00001.safetensors","lm_head.weight":"model-00001-of-00001.safetensors"}}""");
        SafetensorsException error = assertThrows(SafetensorsException.class, () -> Checkpoint.open(new DirectoryFiles(dir)));
        assertEquals(dir.resolve("model.safetensors.index.json") + ": says 'lm_head.weight' is in 'model-00001-of-00001.safetensors', but no shard has it",
                error.getMessage());
    }

    @Test
    void aTensorInTwoShardsIsRefused() throws Exception {
        shard("a.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        shard("b.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        SafetensorsException error = assertThrows(SafetensorsException.class, () -> Checkpoint.open(new DirectoryFiles(dir)));
        assertEquals(dir.resolve("b.safetensors") + ": tensor 'w' is also in 'a.safetensors'; a checkpoint holds each tensor once", error.getMessage());
    }

    @Test
    void staleTotalSizeAndUnindexedTensorsAreWarnings() throws Exception {
        shard("model-00001-of-00001.safetensors", """
                {"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"extra":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8);
        Files.writeString(dir.resolve("model.safetensors.index.json"), """
                {"metadata":{"total_size":999},"weight_map":{"a":"model-00001-of-00001.safetensors"}}""");
        Checkpoint checkpoint = Checkpoint.open(new DirectoryFiles(dir));
        assertEquals(2, checkpoint.tensors().size());
        assertEquals(java.util.List.of(
                dir.resolve("model.safetensors.index.json") + " does not list 1 tensors found in the shards, such as 'extra'",
                dir.resolve("model.safetensors.index.json") + " says total_size 999 but the tensors hold 8 bytes"), checkpoint.warnings());
    }
}
