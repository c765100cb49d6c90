package orchestrate.controller.ssh;

import orchestrate.controller.ExitException;

/**
 * What {@code --host} says: {@code [USER@]HOST[:PORT]}, where HOST may be an alias from
 * {@code ~/.ssh/config} or a bracketed IPv6 address ({@code [::1]:2222}).
 *
 * @param user null when not given
 * @param port 0 when not given
 */
public record SshTarget(String user, String host, int port) {

    public static SshTarget parse(String text) {
        String rest = text.strip();
        String user = null;
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            user = rest.substring(0, at);
            rest = rest.substring(at + 1);
        }
        String host = rest;
        int port = 0;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0) {
                throw bad(text);
            }
            host = rest.substring(1, close);
            if (close + 1 < rest.length()) {
                if (rest.charAt(close + 1) != ':') {
                    throw bad(text);
                }
                port = port(rest.substring(close + 2), text);
            }
        } else if (rest.indexOf(':') >= 0 && rest.indexOf(':') == rest.lastIndexOf(':')) {
            host = rest.substring(0, rest.indexOf(':'));
            port = port(rest.substring(rest.indexOf(':') + 1), text);
        }
        if (host.isEmpty() || (user != null && user.isEmpty())) {
            throw bad(text);
        }
        return new SshTarget(user, host, port);
    }

    private static int port(String text, String whole) {
        try {
            int port = Integer.parseInt(text);
            if (port > 0 && port < 65536) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ExitException(ExitException.USAGE, "--host '" + whole + "': the port must be a number from 1 to 65535");
    }

    private static ExitException bad(String text) {
        return new ExitException(ExitException.USAGE, "--host '" + text + "': expected USER@HOST[:PORT], e.g. root@1.2.3.4:34538");
    }
}
