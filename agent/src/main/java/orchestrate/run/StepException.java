package orchestrate.run;

/** A step failed for a reason the user can act on; the message is shown as it is. */
public final class StepException extends Exception {

    public StepException(String message) {
        super(message);
    }
}
