package orchestrate.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A file written in parts, named as llama.cpp's gguf-split names them ({@code llama_split_path}):
 * {@code model.gguf} becomes {@code model-00001-of-00003.gguf}, {@code model-00002-of-00003.gguf}, ...
 * A recipe keeps naming the whole ({@code model.gguf}); these say which files on disk it means.
 */
public final class Parts {

    private Parts() {}

    /** The name of part {@code index} (from 0) of {@code count}. */
    public static Path part(Path whole, int index, int count) {
        return whole.resolveSibling(String.format(Locale.ROOT, "%s-%05d-of-%05d%s", stem(whole), index + 1, count, extension(whole)));
    }

    /**
     * The parts of {@code whole} on disk, first to last, when one whole set of them is there (every
     * part of one count); otherwise none.
     */
    public static List<Path> complete(Path whole) throws IOException {
        TreeMap<Integer, List<Path>> byCount = new TreeMap<>();
        for (Path part : named(whole, false)) {
            byCount.computeIfAbsent(count(whole, part), c -> new ArrayList<>()).add(part);
        }
        if (byCount.size() != 1 || byCount.firstEntry().getValue().size() != byCount.firstKey()) {
            return List.of();
        }
        return byCount.firstEntry().getValue();
    }

    /** The whole a part's name belongs to ({@code m-00002-of-00003.gguf} is part of {@code m.gguf}); any other name is its own. */
    public static String wholeOf(String name) {
        return name.replaceFirst("-\\d{5}-of-\\d{5}(\\.[^./]+)$", "$1");
    }

    /** The files {@code whole} is on disk: itself when it is a file, else its parts (none when neither is whole). */
    public static List<Path> of(Path whole) throws IOException {
        return Files.isRegularFile(whole) ? List.of(whole) : complete(whole);
    }

    /** What a program that reads files in parts (llama.cpp) is given for {@code whole}: the file itself, or else its first part. */
    public static Path first(Path whole) throws IOException {
        List<Path> files = of(whole);
        return files.isEmpty() ? whole : files.get(0);
    }

    /** The first part of the set a part's name belongs to ({@code m-00002-of-00003.gguf}: {@code m-00001-of-00003.gguf}); any other name itself. */
    public static String firstPartOf(String name) {
        return name.replaceFirst("-\\d{5}(-of-\\d{5}\\.[^./]+)$", "-00001$1");
    }

    /** Removes every part of {@code whole}, of any count, and what interrupted writes of them left. */
    public static void deleteAll(Path whole) throws IOException {
        for (Path part : named(whole, true)) {
            Files.deleteIfExists(part);
        }
    }

    private static List<Path> named(Path whole, boolean withTemporaries) throws IOException {
        Path directory = whole.toAbsolutePath().getParent();
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> siblings = Files.list(directory)) {
            return siblings.filter(p -> count(whole, withTemporaries ? stripTemporary(p) : p) > 0).sorted().toList();
        }
    }

    /** The count in a part's name when it names a part of {@code whole}, else 0. */
    private static int count(Path whole, Path candidate) {
        String name = candidate.getFileName().toString();
        String prefix = stem(whole) + "-";
        String extension = extension(whole);
        if (!name.startsWith(prefix) || !name.endsWith(extension) || name.length() < prefix.length() + extension.length()) {
            return 0;
        }
        Matcher matcher = NUMBERS.matcher(name.substring(prefix.length(), name.length() - extension.length()));
        if (!matcher.matches()) {
            return 0;
        }
        int index = Integer.parseInt(matcher.group(1));
        int count = Integer.parseInt(matcher.group(2));
        return index >= 1 && index <= count ? count : 0;
    }

    private static final Pattern NUMBERS = Pattern.compile("(\\d{5})-of-(\\d{5})");

    private static String stem(Path whole) {
        String name = whole.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    private static String extension(Path whole) {
        String name = whole.getFileName().toString();
        return name.substring(stem(whole).length());
    }

    private static Path stripTemporary(Path file) {
        String name = file.getFileName().toString();
        return AtomicFiles.isTemporary(name) ? file.resolveSibling(name.replaceFirst("\\.[0-9a-f]{16}\\.tmp$", "")) : file;
    }
}
