package orchestrate.hub;

import orchestrate.text.OneLine;

/** The Hub refused or could not serve a request; the message says what to do about it. */
public final class HubException extends Exception {

    public HubException(String message) {
        super(OneLine.of(message));
    }
}
