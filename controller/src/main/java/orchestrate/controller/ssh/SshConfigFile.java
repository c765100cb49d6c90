package orchestrate.controller.ssh;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import orchestrate.controller.ExitException;
import orchestrate.text.OneLine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of {@code ~/.ssh/config} that say how to reach a host: HostName, User, Port and
 * IdentityFile. As in OpenSSH, the first value found for a keyword wins, and IdentityFile adds up.
 */
public final class SshConfigFile {

    public record HostSettings(String hostName, String user, Integer port, List<String> identityFiles) {}

    private SshConfigFile() {}

    /** The settings for {@code alias}; a line that cannot be read is one clear refusal naming the file and line. */
    public static HostSettings read(Path file, String alias) throws IOException {
        String hostName = null;
        String user = null;
        Integer port = null;
        List<String> identities = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            return new HostSettings(null, null, null, identities);
        }
        boolean applies = true;
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new ExitException(ExitException.USAGE, file + " is not UTF-8 text; OpenSSH's config is");
        }
        int number = 0;
        for (String raw : lines) {
            number++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s*=\\s*|\\s+", 2);
            String keyword = parts[0].toLowerCase(java.util.Locale.ROOT);
            String value = parts.length > 1 ? unquote(parts[1].strip()) : "";
            switch (keyword) {
                case "host" -> applies = matches(value, alias);
                case "port" -> {
                    if (applies && port == null) {
                        port = port(value, file, number);
                    }
                }
                case "match" -> applies = false;
                case "hostname" -> hostName = applies && hostName == null ? value : hostName;
                case "user" -> user = applies && user == null ? value : user;
                case "identityfile" -> {
                    if (applies) {
                        identities.add(value);
                    }
                }
                default -> { }
            }
        }
        return new HostSettings(hostName, user, port, identities);
    }

    private static int port(String value, Path file, int line) {
        try {
            int port = Integer.parseInt(value);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new ExitException(ExitException.USAGE, file + ":" + line + ": Port must be a number from 1 to 65535, not '" + OneLine.of(value.length() > 40 ? value.substring(0, 40) + "..." : value) + "'");
    }


    /** Host patterns: several separated by spaces, '*' and '?' wildcards, '!' negation. */
    static boolean matches(String patterns, String alias) {
        boolean matched = false;
        for (String pattern : patterns.split("\\s+")) {
            boolean negated = pattern.startsWith("!");
            if (glob(negated ? pattern.substring(1) : pattern, alias)) {
                if (negated) {
                    return false;
                }
                matched = true;
            }
        }
        return matched;
    }

    /**
     * Whether {@code text} matches a glob of '*' and '?', ignoring case: the greedy match with one
     * remembered star, linear in practice and never exponential (a regex of many '.*' can take for ever).
     */
    static boolean glob(String glob, String text) {
        String p = glob.toLowerCase(java.util.Locale.ROOT);
        String t = text.toLowerCase(java.util.Locale.ROOT);
        int pi = 0;
        int ti = 0;
        int star = -1;
        int resume = 0;
        while (ti < t.length()) {
            if (pi < p.length() && (p.charAt(pi) == '?' || p.charAt(pi) == t.charAt(ti))) {
                pi++;
                ti++;
            } else if (pi < p.length() && p.charAt(pi) == '*') {
                star = pi++;
                resume = ti;
            } else if (star >= 0) {
                pi = star + 1;
                ti = ++resume;
            } else {
                return false;
            }
        }
        while (pi < p.length() && p.charAt(pi) == '*') {
            pi++;
        }
        return pi == p.length();
    }

    private static String unquote(String value) {
        return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"") ? value.substring(1, value.length() - 1) : value;
    }
}
