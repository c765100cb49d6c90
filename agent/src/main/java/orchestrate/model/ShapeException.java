package orchestrate.model;

import orchestrate.text.OneLine;

/** The tensors do not form a model we recognise; the message says which tensor is missing or odd. */
public final class ShapeException extends Exception {

    public ShapeException(String message) {
        super(OneLine.of(message));
    }
}
