package orchestrate.safetensors;

import com.code_intelligence.jazzer.junit.FuzzTest;
import orchestrate.testing.Refusals;

/** The safetensors header reader on any bytes: a header, or one clear refusal naming the file. */
class SafetensorsHeaderFuzzTest {

    @FuzzTest(maxDuration = "2m")
    void header(byte[] file) throws Exception {
        try {
            SafetensorsHeader header = SafetensorsHeader.read(ByteSource.inMemory("fuzzed.safetensors", file, file.length));
            header.tensors().forEach(tensor -> {
                if (tensor.end() < tensor.begin() || header.dataStart() + tensor.end() > file.length || tensor.bytes() != tensor.end() - tensor.begin()) {
                    throw new AssertionError("an accepted tensor outside the file: " + tensor);
                }
            });
        } catch (SafetensorsException refused) {
            Refusals.assertClear(refused, "fuzzed.safetensors");
        }
    }
}
