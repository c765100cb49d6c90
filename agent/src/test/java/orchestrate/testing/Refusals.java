package orchestrate.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a refusal of bad input must be: one line that a person can read, naming what was wrong. */
public final class Refusals {

    private Refusals() {}

    /** A message for the user: present, one line, of a readable length, and naming {@code subject}. */
    public static void assertClear(Throwable refusal, String subject) {
        String message = refusal.getMessage();
        assertNotNull(message, () -> "a refusal without a message: " + refusal);
        assertFalse(message.isBlank(), "an empty message");
        assertFalse(message.contains("\n") || message.contains("\r"), () -> "a message of several lines: " + message);
        assertTrue(message.length() <= 4000, () -> "a message of " + message.length() + " characters");
        if (subject != null) {
            assertTrue(message.contains(subject), () -> "the message does not name " + subject + ": " + message);
        }
    }
}
