package orchestrate.controller.cli;

import orchestrate.controller.ExitException;
import orchestrate.controller.Laptop;
import java.io.PrintWriter;
import picocli.CommandLine;

/** Builds the command line for one laptop; tests run verbs in-process through it. */
public final class Cli {

    private Cli() {}

    public static CommandLine commandLine(Laptop laptop) {
        CommandLine.IFactory defaults = CommandLine.defaultFactory();
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                try {
                    return type.getConstructor(Laptop.class).newInstance(laptop);
                } catch (NoSuchMethodException e) {
                    return defaults.create(type);
                }
            }
        };
        CommandLine commandLine = new CommandLine(new OrchestrateCommand(), factory);
        commandLine.setOut(new PrintWriter(laptop.out(), true));
        commandLine.setErr(new PrintWriter(laptop.err(), true));
        commandLine.setExecutionExceptionHandler((exception, line, parsed) -> {
            if (exception instanceof ExitException exit) {
                laptop.err().println("orchestrate: " + exit.getMessage());
                return exit.status();
            }
            laptop.err().println("orchestrate: internal error: " + exception + " (a bug in orchestrate: please report it with the output of "
                    + "the same command with --verbose)");
            if (verbose(parsed)) {
                exception.printStackTrace(laptop.err());
            }
            return ExitException.INTERNAL;
        });
        return commandLine;
    }

    private static boolean verbose(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult level = parsed; level != null; level = level.subcommand()) {
            if (level.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
