package orchestrate.split;

import orchestrate.text.OneLine;

/** A split that cannot be done as asked, with the numbers that say why. */
public final class SplitException extends Exception {

    public SplitException(String message) {
        super(OneLine.of(message));
    }
}
