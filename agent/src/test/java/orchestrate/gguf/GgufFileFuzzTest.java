package orchestrate.gguf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import orchestrate.testing.Refusals;

/** The GGUF reader on any bytes: a file whose every tensor lies inside it, or one clear refusal naming it. */
class GgufFileFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void read(byte[] bytes) throws Exception {
        Path file = Files.createTempFile("fuzzed", ".gguf");
        try {
            Files.write(file, bytes);
            GgufFile gguf = GgufFile.read(file);
            for (GgufTensorInfo tensor : gguf.tensors()) {
                if (tensor.offset() < 0 || gguf.dataStart() + tensor.offset() + tensor.bytes() > bytes.length) {
                    throw new AssertionError("an accepted tensor outside the file: " + tensor.name());
                }
            }
        } catch (GgufException refused) {
            Refusals.assertClear(refused, file.getFileName().toString());
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
