package orchestrate.controller.ssh;

/** Quoting for the POSIX shell that runs commands on the box. */
final class Shell {

    private Shell() {}

    static String quote(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }
}
