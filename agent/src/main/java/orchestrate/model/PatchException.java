package orchestrate.model;

import orchestrate.text.OneLine;

/** A requested config change that the tensors contradict, or a config that would still be wrong. */
public final class PatchException extends Exception {

    public PatchException(String message) {
        super(OneLine.of(message));
    }
}
