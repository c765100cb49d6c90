package orchestrate.controller.box;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jar the controller uploads to a user's box holds what runs on a box, and no test server. */
class AgentJarContentsTest {

    @TempDir
    Path dir;

    @Test
    void theAgentJarHoldsNoTestKitNoHttpServerAndNoSshServer() throws Exception {
        Path jar = Files.write(dir.resolve("agent.jar"), AgentJar.load().bytes());
        TreeSet<String> packages = new TreeSet<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            Collections.list(file.entries()).stream().map(e -> e.getName()).filter(n -> n.startsWith("orchestrate/") && n.endsWith(".class"))
                    .map(n -> n.substring(0, n.lastIndexOf('/')).replace('/', '.')).forEach(packages::add);
            assertTrue(packages.contains("orchestrate.agent") && packages.contains("orchestrate.steps"), packages.toString());
            List<String> unwanted = Collections.list(file.entries()).stream().map(e -> e.getName())
                    .filter(n -> n.startsWith("orchestrate/testkit/") || n.startsWith("orchestrate/fixtures/") || n.startsWith("orchestrate/controller/")
                            || n.startsWith("org/apache/sshd/") || n.startsWith("org/junit/"))
                    .toList();
            assertEquals(List.of(), unwanted, "only what runs on a box");
            JavaClasses classes = new ClassFileImporter().importJar(file);
            noClasses().that().resideInAPackage("orchestrate..").should().dependOnClassesThat().resideInAPackage("com.sun.net.httpserver..")
                    .check(classes);
        }
    }
}
