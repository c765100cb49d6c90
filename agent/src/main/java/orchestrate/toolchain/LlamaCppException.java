package orchestrate.toolchain;

import orchestrate.text.OneLine;

/** llama.cpp cannot be built or run here, and why, in one line. */
public final class LlamaCppException extends Exception {

    public LlamaCppException(String message) {
        super(OneLine.of(message));
    }
}
