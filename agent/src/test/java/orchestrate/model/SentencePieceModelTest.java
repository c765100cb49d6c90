package orchestrate.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import orchestrate.testing.SentencePiece;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our reader of tokenizer.model against a model the real SentencePiece trainer made, and against broken bytes. */
class SentencePieceModelTest {

    @TempDir
    Path dir;

    private byte[] trained() throws Exception {
        Path text = dir.resolve("text.txt");
        try (InputStream shipped = getClass().getResourceAsStream("/orchestrate/llama/evaluation.txt")) {
            Files.write(text, shipped.readAllBytes());
        }
        return Files.readAllBytes(SentencePiece.train(text, dir.resolve("sp"), 400, List.of("<|im_start|>")));
    }

    @Test
    void readsEveryPieceAsSentencePieceNumbersThem() throws Exception {
        byte[] bytes = trained();
        List<SentencePieceModel.Piece> pieces = SentencePieceModel.read(bytes, "tokenizer.model").pieces();

        assertEquals(400, pieces.size());
        assertEquals(new SentencePieceModel.Piece("<unk>", 0, SentencePieceModel.Type.UNKNOWN), pieces.get(0));
        assertEquals(SentencePieceModel.Type.CONTROL, pieces.get(1).type());
        assertEquals("<s>", pieces.get(1).text());
        assertEquals(new SentencePieceModel.Piece("<|im_start|>", 0, SentencePieceModel.Type.USER_DEFINED), pieces.get(3));
        assertEquals(new SentencePieceModel.Piece("<0x00>", 0, SentencePieceModel.Type.BYTE), pieces.get(4), "byte fallback pieces follow");
        Path written = Files.write(dir.resolve("tokenizer.model"), bytes);
        List<String> ours = pieces.stream().map(p -> p.text() + " " + (double) p.score() + " " + switch (p.type()) {
            case UNKNOWN -> "unknown";
            case CONTROL -> "control";
            case UNUSED -> "unused";
            case BYTE -> "byte";
            case NORMAL, USER_DEFINED -> "normal";
        }).toList();
        assertEquals(SentencePiece.pieces(written), ours, "every piece's text, score and kind as SentencePiece's processor reads them");
    }

    @Test
    void brokenBytesAreRefusedNamingTheFileAndNothingElseIsThrown() throws Exception {
        byte[] bytes = trained();
        SplittableRandom random = new SplittableRandom(5);
        int refused = 0;
        for (int cut = 0; cut < bytes.length; cut += 1 + random.nextInt(97)) {
            byte[] truncated = Arrays.copyOf(bytes, cut);
            byte[] flipped = bytes.clone();
            flipped[cut] ^= (byte) (1 + random.nextInt(255));
            for (byte[] broken : List.of(truncated, flipped)) {
                try {
                    SentencePieceModel.read(broken, "model/tokenizer.model");
                } catch (ShapeException e) {
                    assertTrue(e.getMessage().startsWith("model/tokenizer.model is not a SentencePiece model we can read: "), e.getMessage());
                    refused++;
                }
            }
        }
        assertTrue(refused > 10, "truncations are refused: " + refused);
        ShapeException empty = assertThrows(ShapeException.class, () -> SentencePieceModel.read(new byte[0], "tokenizer.model"));
        assertEquals("tokenizer.model is not a SentencePiece model we can read: it has no pieces", empty.getMessage());
    }
}
