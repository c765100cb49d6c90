package orchestrate.controller.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import orchestrate.controller.TestLaptop;
import orchestrate.files.Hashing;
import orchestrate.testing.CurrentLlamaCpp;
import orchestrate.testkit.CheckpointGenerator;
import orchestrate.testkit.CheckpointSpec;
import orchestrate.testkit.HubUploads;
import orchestrate.testkit.LocalHub;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * recipes/hf-to-gguf.yaml as a user runs it: a repository and types on the command line, a file
 * over split-size written in parts, every file proven by the current llama.cpp, a Modelfile and a
 * card beside them, and everything pushed to the Hub from the box in one commit, the report saying
 * where and at which commit.
 */
class HfToGgufRecipeTest {

    static final String TOKEN = "hf_writeTokenForMe42";

    @TempDir
    Path dir;

    @Test
    void aRepositoryBecomesProvenGgufFilesInPartsWithModelfilesAndACardPushedInOneCommit() throws Exception {
        CurrentLlamaCpp.toolchain();
        Path model = dir.resolve("hub/qwen2");
        CheckpointGenerator.write(CheckpointSpec.tinyQwen2(), model, 5);
        Files.writeString(model.resolve("README.md"), "---\nlicense: apache-2.0\n---\n# tiny qwen2\n");
        try (LocalHub hub = LocalHub.start()) {
            hub.add("org/tiny-qwen2", model);
            hub.uploads().grantWrite(TOKEN, "me");
            hub.uploads().multipart(1 << 20, 512 << 10);
            TestLaptop laptop = new TestLaptop(Files.createDirectories(dir.resolve("home")), Map.of("HF_ENDPOINT", hub.endpoint(), "HF_TOKEN", TOKEN));
            Path out = dir.resolve("out");

            TestLaptop.Result result = laptop.run("run", Path.of("..", "recipes", "hf-to-gguf.yaml").toString(), "--local", "--fetch-to", out.toString(),
                    "--set", "repo=org/tiny-qwen2", "--set", "types=Q4_K_M,Q8_0", "--set", "name=tiny", "--set", "push=me/tiny-GGUF", "--set", "split-size=1MB",
                    "--set", "llama-cpp-source=" + CurrentLlamaCpp.source(), "--set", "llama-cpp-cache=" + CurrentLlamaCpp.cache());

            assertEquals(0, result.exit(), result.toString());
            Set<String> fetched;
            try (Stream<Path> files = Files.list(out)) {
                fetched = files.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".") && !n.equals("SHA256SUMS"))
                        .collect(Collectors.toCollection(TreeSet::new));
            }
            assertEquals(new TreeSet<>(List.of("README.md", "inspect.json", "tiny-Q4_K_M.Modelfile", "tiny-Q4_K_M.gguf", "tiny-Q8_0.Modelfile",
                    "tiny-Q8_0-00001-of-00002.gguf", "tiny-Q8_0-00002-of-00002.gguf")), fetched, "Q8_0, over 1 MB, in two parts");
            assertTrue(result.out().contains("all 7 artifacts are in " + out + " and verified."), "every GGUF part proven by its first part: " + result);

            HubUploads uploads = hub.uploads();
            assertEquals(1, uploads.commits("me/tiny-GGUF").size());
            HubUploads.Commit commit = uploads.commits("me/tiny-GGUF").get(0);
            Set<String> pushed = new TreeSet<>(fetched);
            pushed.remove("inspect.json");
            assertEquals(pushed, new TreeSet<>(commit.paths()), "the GGUF files, Modelfiles and card, in one commit");
            for (String gguf : pushed.stream().filter(f -> f.endsWith(".gguf")).toList()) {
                assertEquals(Hashing.sha256(out.resolve(gguf)), uploads.files("me/tiny-GGUF").get(gguf).oid(), gguf + " on the Hub is the file fetched");
            }
            assertTrue(result.out().contains("Pushed (push) to " + hub.endpoint() + "/me/tiny-GGUF at commit " + commit.id()), result.out());
            assertTrue(Files.readString(out.resolve("tiny-Q8_0.Modelfile")).contains("FROM ./tiny-Q8_0-*.gguf\n"));
            String card = Files.readString(out.resolve("README.md"));
            assertTrue(card.startsWith("---\nbase_model: org/tiny-qwen2\n") && card.contains("license: apache-2.0\n"), card);
            assertTrue(card.contains("| `tiny-Q8_0-00001-of-00002.gguf` | llama.cpp 80fb11ac"), "the first part proven: " + card);
        }
    }
}
