package orchestrate.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * RELIABILITY.md names a test for every fault and hostile input; this keeps it true: every name
 * is a test that exists (in either module), and every fuzz test is in the table.
 */
class ReliabilityDocTest {

    private static final Path DOC = Path.of("..", "RELIABILITY.md");
    private static final Pattern REFERENCE = Pattern.compile("`([A-Z][A-Za-z0-9]*)#([A-Za-z0-9_]+)`");
    private static final List<String> PACKAGES = List.of("orchestrate.agent", "orchestrate.run", "orchestrate.hub", "orchestrate.steps",
            "orchestrate.llama", "orchestrate.toolchain", "orchestrate.safetensors", "orchestrate.gguf", "orchestrate.recipe", "orchestrate.model", "orchestrate.event",
            "orchestrate.controller", "orchestrate.controller.e2e", "orchestrate.controller.cli", "orchestrate.controller.ssh",
            "orchestrate.controller.transfer", "orchestrate.controller.job", "orchestrate.controller.cost", "orchestrate.controller.console");

    @Test
    void everyTestTheTableNamesExistsAndEveryFuzzTestIsInIt() throws Exception {
        String doc = Files.readString(DOC);
        Matcher m = REFERENCE.matcher(doc);
        List<String> missing = new ArrayList<>();
        Set<String> named = new TreeSet<>();
        int references = 0;
        while (m.find()) {
            references++;
            named.add(m.group(1));
            Class<?> type = find(m.group(1));
            if (type == null || Arrays.stream(type.getDeclaredMethods()).noneMatch(method -> isTest(method, m.group(2)))) {
                missing.add(m.group(1) + "#" + m.group(2));
            }
        }
        assertTrue(references > 50, "the table names its tests: " + references);
        assertEquals(List.of(), missing, "RELIABILITY.md names tests that do not exist");
        assertEquals(List.of(), fuzzTests().stream().filter(t -> !named.contains(t)).toList(), "fuzz tests RELIABILITY.md does not list");
    }

    private static boolean isTest(Method method, String name) {
        return method.getName().equals(name) && Arrays.stream(method.getAnnotations())
                .anyMatch(a -> Set.of("Test", "FuzzTest", "ParameterizedTest").contains(a.annotationType().getSimpleName()));
    }

    private static Class<?> find(String simpleName) {
        for (String pkg : PACKAGES) {
            try {
                return Class.forName(pkg + "." + simpleName);
            } catch (ClassNotFoundException e) {
                // another package
            }
        }
        return null;
    }

    /** Every *FuzzTest class in either module's test sources. */
    private static List<String> fuzzTests() throws Exception {
        List<String> names = new ArrayList<>();
        for (Path root : List.of(Path.of("src/test/java"), Path.of("../agent/src/test/java"))) {
            try (Stream<Path> files = Files.walk(root)) {
                files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith("FuzzTest.java")).map(n -> n.replace(".java", "")).forEach(names::add);
            }
        }
        return names;
    }
}
