package orchestrate.run;

import orchestrate.text.OneLine;

/** A step failed for a reason the user can act on; the message is shown as it is. */
public final class StepException extends Exception {

    public StepException(String message) {
        super(OneLine.of(message));
    }
}
