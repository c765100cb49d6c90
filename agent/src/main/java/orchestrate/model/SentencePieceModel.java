package orchestrate.model;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The pieces of a SentencePiece {@code tokenizer.model}: each piece's text, score and type, in id
 * order, which is all llama.cpp's converter takes from it. Read straight from the protobuf wire
 * format (ModelProto field 1, repeated SentencePiece {piece = 1, score = 2, type = 3}; every other
 * field skipped): a few dozen lines against a protobuf runtime and generated classes in the agent jar.
 */
public record SentencePieceModel(List<Piece> pieces) {

    /** SentencePiece's piece types, with the numbers both it and GGUF's token_type use. */
    public enum Type {
        NORMAL(1), UNKNOWN(2), CONTROL(3), USER_DEFINED(4), UNUSED(5), BYTE(6);

        final int number;

        Type(int number) {
            this.number = number;
        }

        static Type of(long number) throws ShapeException {
            for (Type type : values()) {
                if (type.number == number) {
                    return type;
                }
            }
            throw new ShapeException("piece type " + number + " is none of SentencePiece's (1 to 6)");
        }
    }

    public record Piece(String text, float score, Type type) {}

    private static final int VARINT = 0;
    private static final int FIXED64 = 1;
    private static final int LENGTH = 2;
    private static final int FIXED32 = 5;

    /** @throws ShapeException naming {@code file} and what in it is not a SentencePiece model */
    public static SentencePieceModel read(byte[] bytes, String file) throws ShapeException {
        try {
            List<Piece> pieces = new ArrayList<>();
            Reader model = new Reader(ByteBuffer.wrap(bytes));
            while (model.more()) {
                long tag = model.varint();
                if (tag >>> 3 == 1 && (tag & 7) == LENGTH) {
                    pieces.add(piece(model.message(), pieces.size()));
                } else {
                    model.skip((int) (tag & 7));
                }
            }
            if (pieces.isEmpty()) {
                throw new ShapeException("it has no pieces");
            }
            return new SentencePieceModel(List.copyOf(pieces));
        } catch (ShapeException e) {
            throw new ShapeException(file + " is not a SentencePiece model we can read: " + e.getMessage());
        }
    }

    private static Piece piece(Reader piece, int id) throws ShapeException {
        String text = null;
        float score = 0;
        Type type = Type.NORMAL; // the field's default
        while (piece.more()) {
            long tag = piece.varint();
            int field = (int) (tag >>> 3);
            int wire = (int) (tag & 7);
            if (field == 1 && wire == LENGTH) {
                text = piece.utf8();
            } else if (field == 2 && wire == FIXED32) {
                score = Float.intBitsToFloat(piece.fixed32());
            } else if (field == 3 && wire == VARINT) {
                type = Type.of(piece.varint());
            } else {
                piece.skip(wire);
            }
        }
        if (text == null) {
            throw new ShapeException("piece " + id + " has no text");
        }
        return new Piece(text, score, type);
    }

    /** Protobuf's wire format over a buffer; running past its end is a ShapeException, never an exception of the buffer. */
    private static final class Reader {
        private final ByteBuffer in;

        Reader(ByteBuffer in) {
            this.in = in;
        }

        boolean more() {
            return in.hasRemaining();
        }

        long varint() throws ShapeException {
            long value = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                need(1);
                byte b = in.get();
                value |= (long) (b & 0x7f) << shift;
                if (b >= 0) {
                    return value;
                }
            }
            throw new ShapeException("a varint runs past 10 bytes at offset " + in.position());
        }

        int fixed32() throws ShapeException {
            need(4);
            return Integer.reverseBytes(in.getInt());
        }

        Reader message() throws ShapeException {
            int length = length();
            ByteBuffer slice = in.slice(in.position(), length);
            in.position(in.position() + length);
            return new Reader(slice);
        }

        String utf8() throws ShapeException {
            int length = length();
            ByteBuffer slice = in.slice(in.position(), length);
            in.position(in.position() + length);
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(slice).toString();
            } catch (CharacterCodingException e) {
                throw new ShapeException("a piece is not UTF-8");
            }
        }

        void skip(int wire) throws ShapeException {
            switch (wire) {
                case VARINT -> varint();
                case FIXED64 -> skipBytes(8);
                case LENGTH -> skipBytes(length());
                case FIXED32 -> skipBytes(4);
                default -> throw new ShapeException("wire type " + wire + " at offset " + in.position() + " is not protobuf's");
            }
        }

        private int length() throws ShapeException {
            long length = varint();
            if (length < 0 || length > in.remaining()) {
                throw new ShapeException("a field of " + length + " bytes runs past the end (" + in.remaining() + " left)");
            }
            return (int) length;
        }

        private void skipBytes(int count) throws ShapeException {
            need(count);
            in.position(in.position() + count);
        }

        private void need(int count) throws ShapeException {
            if (in.remaining() < count) {
                throw new ShapeException("it ends inside a field");
            }
        }
    }
}
