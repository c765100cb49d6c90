package orchestrate.controller.cli;

import orchestrate.controller.Laptop;
import orchestrate.controller.console.ConsoleView;
import orchestrate.controller.job.RunRecord;
import java.time.Clock;
import java.time.Instant;
import java.util.OptionalDouble;
import picocli.CommandLine.Option;

/** How events are shown. */
public final class OutputOptions {

    @Option(names = "--json", description = "Print the agent's events as raw JSON lines on stdout.")
    boolean json;

    /** A view of an earlier run, timed from its start and priced at its rate. */
    ConsoleView view(Laptop laptop, Clock clock, RunRecord record) {
        return view(laptop, clock, record.costFrom(), record.price() == null ? OptionalDouble.empty() : OptionalDouble.of(record.price().perHour()));
    }

    ConsoleView view(Laptop laptop, Clock clock, Instant started, OptionalDouble perHour) {
        ConsoleView.Mode mode = json ? ConsoleView.Mode.JSON : laptop.terminal() ? ConsoleView.Mode.TERMINAL : ConsoleView.Mode.PLAIN;
        return new ConsoleView(laptop.out(), laptop.err(), mode, clock, started, perHour);
    }
}
