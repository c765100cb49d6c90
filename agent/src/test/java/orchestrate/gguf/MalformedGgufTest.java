package orchestrate.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Broken GGUF files, made by editing llama.cpp's reference file, each refused with its reason. */
class MalformedGgufTest {

    private static final Path REFERENCE = GgufReferenceTest.GOLDEN.resolve("reference-phi3-F16.gguf");

    @TempDir
    Path dir;

    private String refused(byte[] bytes) throws Exception {
        Path file = dir.resolve("m.gguf");
        Files.write(file, bytes);
        return assertThrows(GgufException.class, () -> GgufFile.read(file)).getMessage();
    }

    @Test
    void wrongMagic() throws Exception {
        byte[] bytes = Files.readAllBytes(REFERENCE);
        bytes[0] = 'X';
        assertEquals("m.gguf: does not start with the GGUF magic (at byte 4)", refused(bytes));
    }

    @Test
    void anotherVersion() throws Exception {
        byte[] bytes = Files.readAllBytes(REFERENCE);
        bytes[4] = 2;
        assertEquals("m.gguf: is GGUF version 2; only version 3 is read (at byte 8)", refused(bytes));
    }

    @Test
    void truncatedData() throws Exception {
        byte[] bytes = Files.readAllBytes(REFERENCE);
        assertEquals("m.gguf: is 3035000 bytes but its tensors need 3036032 (truncated?) (at byte 16233)",
                refused(Arrays.copyOf(bytes, 3_035_000)));
    }

    @Test
    void truncatedHeader() throws Exception {
        byte[] bytes = Files.readAllBytes(REFERENCE);
        String message = refused(Arrays.copyOf(bytes, 5000));
        assertEquals(true, message.startsWith("m.gguf: needs ") && message.contains("are left"), message);
    }

    @Test
    void misplacedTensorOffset() throws Exception {
        byte[] bytes = Files.readAllBytes(REFERENCE);
        // The last field of the second tensor info (blk.0.attn_norm.weight) is its offset, 327680.
        int at = indexOf(bytes, "blk.0.attn_norm.weight") + "blk.0.attn_norm.weight".length() + 4 + 8 + 4;
        ByteBuffer.wrap(bytes, at, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(327712);
        assertEquals("m.gguf: tensor blk.0.attn_norm.weight starts at 327712 but the tensors before it end, padded, at 327680 (at byte 16233)",
                refused(bytes));
    }

    @Test
    void unknownTensorType() throws Exception {
        byte[] bytes = Files.readAllBytes(REFERENCE);
        int at = indexOf(bytes, "token_embd.weight") + "token_embd.weight".length() + 4 + 16;
        ByteBuffer.wrap(bytes, at, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(99);
        assertEquals("m.gguf: tensor token_embd.weight has unknown type 99", refused(bytes));
    }

    private static int indexOf(byte[] haystack, String needle) {
        byte[] n = needle.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 0; i + n.length <= haystack.length; i++) {
            for (int j = 0; j < n.length; j++) {
                if (haystack[i + j] != n[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError(needle);
    }
}
