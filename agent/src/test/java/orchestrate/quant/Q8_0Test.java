package orchestrate.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Q8_0Test {

    static final Path GOLDEN = Path.of("src/test/resources/golden/quant");

    static float[] rows(String name) throws Exception {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(GOLDEN.resolve(name + ".f32"))).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[bytes.remaining() / 4];
        bytes.asFloatBuffer().get(values);
        return values;
    }

    @Test
    void ourBlocksAreLlamaCppsBlocksForEveryGoldenVector() throws Exception {
        for (String name : List.of("blk.0.attn_qkv", "blk.0.ffn_down", "blk.5.attn_output", "token_embd")) {
            float[] x = rows(name);
            ByteBuffer out = ByteBuffer.allocate(x.length / Q8_0.BLOCK * Q8_0.BLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            Q8_0.quantize(x, 0, x.length, out);
            assertArrayEquals(Files.readAllBytes(GOLDEN.resolve("Q8_0/" + name + ".bin")), out.array(), name);
        }
    }

    @Test
    void roundTripErrorStaysWithinHalfAStepOfEachBlock() {
        Random random = new Random(1);
        float[] x = new float[32 * 1000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextGaussian() * (i % 97 == 0 ? 30 : 1));
        }
        ByteBuffer q = ByteBuffer.allocate(1000 * Q8_0.BLOCK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        Q8_0.quantize(x, 0, x.length, q);
        q.flip();
        float[] back = new float[x.length];
        for (int block = 0; block < 1000; block++) {
            Q8_0.dequantize(q, back, block * 32);
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(x[block * 32 + j]));
            }
            // A step is amax/127; the F16 scale adds at most 2^-11 relative error on top of rounding.
            float bound = amax / 127 * 0.5f + amax * 0x1p-11f;
            for (int j = 0; j < 32; j++) {
                assertTrue(Math.abs(back[block * 32 + j] - x[block * 32 + j]) <= bound * 1.0001f, "block " + block + " value " + j);
            }
        }
    }
}
