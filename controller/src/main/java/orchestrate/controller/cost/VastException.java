package orchestrate.controller.cost;

/** A vast.ai call that did not succeed, in one line. */
public final class VastException extends Exception {

    public VastException(String message) {
        super(message);
    }
}
