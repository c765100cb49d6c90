package orchestrate.controller.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

@Command(name = "orchestrate", mixinStandardHelpOptions = true, version = "orchestrate 0.1.0",
        description = "Turn a Hugging Face checkpoint into GGUF files on a rented box, and bring them home verified.",
        subcommands = {RunCommand.class, AttachCommand.class, FetchCommand.class, StatusCommand.class, RunsCommand.class, PlanCommand.class,
                ValidateCommand.class, InspectCommand.class, DemoCommand.class},
        footer = {"", "Exit codes: 0 done (safe to shut down), 1 run failed or not verified, 2 usage or recipe error,",
                "3 cannot use the box (connection, host key, authentication, Java), 4 internal error,",
                "5 done and safe to shut down, but a GGUF artifact was not proven to load in llama.cpp (the verdict names it and why)."})
public final class OrchestrateCommand {

    /** Read by the error handler in {@link Cli}; declared here so every verb takes it. */
    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "On an internal error, print its stack trace too.")
    boolean verbose;
}
