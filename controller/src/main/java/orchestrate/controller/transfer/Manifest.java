package orchestrate.controller.transfer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import orchestrate.hub.RepoPaths;
import orchestrate.text.OneLine;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The agent's {@code SHA256SUMS}: what the run produced, in {@code sha256sum -c} format. */
public record Manifest(List<Entry> entries) {

    public record Entry(String path, String sha256) {}

    private static final Pattern LINE = Pattern.compile("([0-9a-f]{64}) [ *](.+)");

    /**
     * Reads a SHA256SUMS the box sent. Its paths become files on this machine, so each must be
     * relative and stay inside the fetch folder: anything else is refused, naming the line.
     */
    public static Manifest parse(byte[] content, String source) throws IOException {
        List<Entry> entries = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        int number = 0;
        for (String line : new String(content, StandardCharsets.UTF_8).split("\n", -1)) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            Matcher m = LINE.matcher(line);
            if (!m.matches()) {
                throw new IOException(source + ":" + number + ": not a 'SHA256  relative/path' line: " + OneLine.of(line));
            }
            String problem = RepoPaths.problem(m.group(2));
            if (problem == null && m.group(2).contains(":")) {
                problem = "a ':' (a drive or stream on Windows)";
            }
            if (problem != null) {
                throw new IOException(source + ":" + number + ": the path '" + OneLine.of(m.group(2)) + "' has " + problem
                        + "; an artifact must be a relative path inside the fetch folder");
            }
            if (!seen.add(m.group(2))) {
                throw new IOException(source + ":" + number + ": " + OneLine.of(m.group(2)) + " is listed twice");
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
