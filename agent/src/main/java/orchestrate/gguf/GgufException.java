package orchestrate.gguf;

import orchestrate.text.OneLine;

/** A GGUF file that breaks the format, or a tensor that cannot be written as asked. */
public final class GgufException extends Exception {

    public GgufException(String message) {
        super(OneLine.of(message));
    }
}
