package orchestrate.controller.transfer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The agent's {@code SHA256SUMS}: what the run produced, in {@code sha256sum -c} format. */
public record Manifest(List<Entry> entries) {

    public record Entry(String path, String sha256) {}

    private static final Pattern LINE = Pattern.compile("([0-9a-f]{64}) [ *](.+)");

    public static Manifest parse(byte[] content, String source) {
        List<Entry> entries = new ArrayList<>();
        int number = 0;
        for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.matches() || m.group(2).startsWith("/") || List.of(m.group(2).split("/")).contains("..")) {
                throw new IllegalArgumentException(source + ":" + number + ": not a 'SHA256  relative/path' line: " + line);
            }
            entries.add(new Entry(m.group(2), m.group(1)));
        }
        return new Manifest(List.copyOf(entries));
    }

    public String format() {
        StringBuilder out = new StringBuilder();
        entries.forEach(e -> out.append(e.sha256()).append("  ").append(e.path()).append('\n'));
        return out.toString();
    }
}
