package orchestrate.controller;

/** Ends the command with one message on stderr and a documented exit code. */
public final class ExitException extends RuntimeException {

    public static final int RUN_FAILED = 1;
    public static final int USAGE = 2;
    public static final int CONNECTION = 3;
    public static final int INTERNAL = 4;
    /** Done and safe to shut down, but some GGUF artifacts were not proven to load in llama.cpp. */
    public static final int UNPROVEN = 5;

    private final int status;

    public ExitException(int status, String message) {
        super(message);
        this.status = status;
    }

    public ExitException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
