package orchestrate.controller.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import orchestrate.controller.ExitException;
import orchestrate.controller.Laptop;
import com.fasterxml.jackson.databind.node.ObjectNode;
import orchestrate.model.AdapterInspection;
import orchestrate.model.Inspection;
import orchestrate.model.TokenizerChoice;
import orchestrate.model.ShapeException;
import orchestrate.hub.HubException;
import orchestrate.hub.HubRepo;
import orchestrate.safetensors.CheckpointFiles;
import orchestrate.safetensors.DirectoryFiles;
import orchestrate.safetensors.SafetensorsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", description = {"Read a checkpoint's safetensors headers (never its data) and hold config.json against what the tensors prove.",
        "Exits 0 when config.json agrees, 1 when the tensors contradict it."})
public final class InspectCommand implements Callable<Integer> {

    private final Laptop laptop;

    @Parameters(paramLabel = "PATH", description = {"A checkpoint directory (config.json, *.safetensors, tokenizer files),",
            "or hf://ORG/NAME[@REVISION]: reads only the headers, by HTTP Range (HF_TOKEN and HF_ENDPOINT are honoured)."})
    String path;

    @Option(names = "--json", description = "Print the inspection as JSON (as the inspect step writes inspect.json).")
    boolean json;

    @Option(names = "--adapter", paramLabel = "PATH", description = {"A PEFT LoRA adapter (a directory or hf://ORG/NAME[@REVISION]) to hold against",
            "the checkpoint: every lora_A/lora_B pair against its target, and the tokenizers compared, before renting."})
    String adapter;

    public InspectCommand(Laptop laptop) {
        this.laptop = laptop;
    }

    @Override
    public Integer call() throws IOException {
        Inspection inspection;
        AdapterInspection lora = null;
        TokenizerChoice tokenizer = null;
        try {
            CheckpointFiles base = files(path);
            inspection = Inspection.of(base);
            if (adapter != null) {
                CheckpointFiles adapterFiles = files(adapter);
                lora = AdapterInspection.of(adapterFiles, inspection.tensors()); // the headers already read, not a second time over HTTP
                tokenizer = TokenizerChoice.of(base, adapterFiles, lora);
            }
        } catch (SafetensorsException | ShapeException e) {
            throw new ExitException(ExitException.USAGE, e.getMessage());
        }
        if (json) {
            ObjectNode node = inspection.toJson();
            if (lora != null) {
                node.set("adapter", lora.toJson().set("tokenizer", tokenizer.toJson()));
            }
            laptop.out().println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(node));
        } else {
            inspection.lines().forEach(laptop.out()::println);
            if (lora != null) {
                lora.lines().forEach(laptop.out()::println);
                tokenizer.lines().forEach(laptop.out()::println);
            }
        }
        return inspection.contradicted() ? ExitException.RUN_FAILED : 0;
    }

    private CheckpointFiles files(String path) throws IOException {
        if (path.startsWith("hf://")) {
            String spec = path.substring("hf://".length());
            int at = spec.indexOf('@');
            String repo = at < 0 ? spec : spec.substring(0, at);
            if (!repo.matches("[^/@]+/[^/@]+")) {
                throw new ExitException(ExitException.USAGE, path + ": expected hf://ORG/NAME or hf://ORG/NAME@REVISION");
            }
            try {
                HubRepo opened = HubRepo.open(repo, at < 0 ? "main" : spec.substring(at + 1), laptop.env());
                opened.tokenNotice().ifPresent(notice -> laptop.err().println("orchestrate: " + notice));
                return opened;
            } catch (HubException e) {
                throw new ExitException(ExitException.USAGE, e.getMessage());
            } catch (IOException e) {
                throw new ExitException(ExitException.CONNECTION, "cannot reach the Hub for " + repo + ": " + e.getMessage());
            }
        }
        Path dir = Path.of(path);
        if (!Files.isDirectory(dir)) {
            throw new ExitException(ExitException.USAGE, path + " is not a directory (a checkpoint directory with config.json and *.safetensors)");
        }
        return new DirectoryFiles(dir);
    }
}
