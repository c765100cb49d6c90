package orchestrate.controller.ssh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The parts of {@code ~/.ssh/config} that say how to reach a host: HostName, User, Port and
 * IdentityFile. As in OpenSSH, the first value found for a keyword wins, and IdentityFile adds up.
 */
public final class SshConfigFile {

    public record HostSettings(String hostName, String user, Integer port, List<String> identityFiles) {}

    private SshConfigFile() {}

    public static HostSettings read(Path file, String alias) throws IOException {
        String hostName = null;
        String user = null;
        Integer port = null;
        List<String> identities = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            return new HostSettings(null, null, null, identities);
        }
        boolean applies = true;
        for (String raw : Files.readAllLines(file)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s*=\\s*|\\s+", 2);
            String keyword = parts[0].toLowerCase(java.util.Locale.ROOT);
            String value = parts.length > 1 ? unquote(parts[1].strip()) : "";
            switch (keyword) {
                case "host" -> applies = matches(value, alias);
                case "match" -> applies = false;
                case "hostname" -> hostName = applies && hostName == null ? value : hostName;
                case "user" -> user = applies && user == null ? value : user;
                case "port" -> port = applies && port == null ? Integer.valueOf(value) : port;
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

    /** Host patterns: several separated by spaces, '*' and '?' wildcards, '!' negation. */
    static boolean matches(String patterns, String alias) {
        boolean matched = false;
        for (String pattern : patterns.split("\\s+")) {
            boolean negated = pattern.startsWith("!");
            String glob = negated ? pattern.substring(1) : pattern;
            String regex = "\\Q" + glob.replace("*", "\\E.*\\Q").replace("?", "\\E.\\Q") + "\\E";
            if (Pattern.compile(regex, Pattern.CASE_INSENSITIVE).matcher(alias).matches()) {
                if (negated) {
                    return false;
                }
                matched = true;
            }
        }
        return matched;
    }

    private static String unquote(String value) {
        return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"") ? value.substring(1, value.length() - 1) : value;
    }
}
