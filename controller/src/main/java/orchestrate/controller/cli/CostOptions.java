package orchestrate.controller.cli;

import java.net.URI;
import java.time.Instant;
import orchestrate.controller.ExitException;
import orchestrate.controller.Laptop;
import orchestrate.controller.console.ConsoleView;
import orchestrate.controller.console.Format;
import orchestrate.controller.cost.OnDone;
import orchestrate.controller.cost.VastApi;
import orchestrate.controller.cost.VastException;
import orchestrate.controller.cost.VastInstance;
import orchestrate.controller.job.RunRecord;
import picocli.CommandLine.Option;

/** What the box costs and what to do with it once everything is home: the options run, attach and fetch share. */
public final class CostOptions {

    @Option(names = "--price-per-hour", paramLabel = "USD", description = "What the box costs per hour (overrides the provider's and the recipe's).")
    Double pricePerHour;

    @Option(names = "--vast-instance", paramLabel = "ID",
            description = "The vast.ai instance the box is (needs VAST_API_KEY): its price, start time and status are read from vast.ai.")
    String vastInstance;

    @Option(names = "--on-done", paramLabel = "ACTION", description = "Once every artifact is home and verified: notify (default), stop or destroy the vast.ai instance.")
    String onDone;

    @Option(names = "--yes", description = "Destroy without asking (--on-done destroy).")
    boolean yes;

    @Option(names = "--budget", paramLabel = "USD", description = "Stop the run cleanly when the box has cost this much (overrides the recipe's cost.budget); a warning at 80 %.")
    Double budget;

    @Option(names = "--on-budget", paramLabel = "ACTION",
            description = "When the running step's progress shows the run will pass the budget: stop now, or continue until the budget is reached "
                    + "(default: ask on a terminal, else continue).")
    String onBudget;

    /**
     * The record with its rate and start (for a new run) or with the options given again (attach,
     * fetch); checks that --on-done can happen, before anything runs.
     */
    RunRecord apply(RunRecord record, Laptop laptop, OptionalRate recipeRate, ConsoleView view, boolean newRun) {
        RunRecord.OnBudget asked = onBudget == null ? null : switch (onBudget) {
            case "stop" -> RunRecord.OnBudget.STOP;
            case "continue" -> RunRecord.OnBudget.CONTINUE;
            default -> throw new ExitException(ExitException.USAGE, "--on-budget must be stop or continue, not '" + onBudget + "'");
        };
        Double dollars = budget != null ? budget : newRun ? recipeRate.budget() : null;
        if (dollars != null && dollars <= 0) {
            throw new ExitException(ExitException.USAGE, "--budget must be more than 0, not " + dollars);
        }
        RunRecord.Budget had = record.budget();
        if (dollars != null || (had != null && asked != null)) {
            RunRecord.OnBudget when = asked != null ? asked : had != null ? had.onBudget()
                    : laptop.terminal() ? RunRecord.OnBudget.ASK : RunRecord.OnBudget.CONTINUE;
            record = record.withBudget(had == null ? new RunRecord.Budget(dollars, when, false, false, false)
                    : new RunRecord.Budget(dollars != null ? dollars : had.dollars(), when, had.warned(), had.projected(), had.stopped()));
        }
        if (vastInstance != null) {
            record = record.withVastInstance(vastInstance);
        }
        if (onDone != null) {
            record = record.withOnDone(OnDone.parse(onDone));
        }
        OnDone.check(record.onDone(), record.vastInstance());
        RunRecord.Price price = record.price();
        Instant from = price != null ? price.from() : null;
        if (record.vastInstance() != null && (newRun || vastInstance != null)) {
            VastInstance instance = read(laptop, record.vastInstance());
            price = new RunRecord.Price(instance.perHour(), "vast.ai instance " + instance.id(), instance.storagePerHour(), instance.uploadPerGb(),
                    instance.started() != null ? instance.started() : from);
            view.notice("vast.ai instance " + instance.id() + ": " + instance.status() + ", " + Format.dollars(instance.perHour()) + "/h"
                    + (instance.storagePerHour() > 0 ? " (storage " + Format.dollars(instance.storagePerHour()) + "/h, billed even when stopped)" : "")
                    + (instance.started() != null ? ", started " + instance.started() : ""));
        } else if (newRun && recipeRate.perHour() != null) {
            price = new RunRecord.Price(recipeRate.perHour(), "the recipe's cost.per-hour", 0, 0, from);
        }
        if (pricePerHour != null) {
            if (pricePerHour < 0) {
                throw new ExitException(ExitException.USAGE, "--price-per-hour must be 0 or more, not " + pricePerHour);
            }
            price = price == null ? new RunRecord.Price(pricePerHour, "--price-per-hour", 0, 0, from)
                    : new RunRecord.Price(pricePerHour, "--price-per-hour", price.storagePerHour(), price.egressPerGb(), price.from());
        }
        if (price != null && price.from() == null) {
            price = new RunRecord.Price(price.perHour(), price.source(), price.storagePerHour(), price.egressPerGb(),
                    record.started() != null ? record.started() : laptop.clock().instant());
        }
        record = record.withPrice(price);
        if (record.budget() != null && price == null) {
            throw new ExitException(ExitException.USAGE, "a budget needs a price: give --price-per-hour, --vast-instance or the recipe's cost.per-hour");
        }
        return record;
    }

    /** The action to take on a safe verdict, with what it needs. */
    OnDone onDone(RunRecord record, Laptop laptop) {
        return new OnDone(record.onDone(), record.vastInstance(), record.vastInstance() == null ? null : api(laptop), laptop, yes);
    }

    /** A recipe's rate and budget, each possibly absent. */
    record OptionalRate(Double perHour, Double budget) {}

    private static VastInstance read(Laptop laptop, String id) {
        try {
            return api(laptop).instance(id);
        } catch (VastException e) {
            throw new ExitException(ExitException.USAGE, e.getMessage());
        }
    }

    private static VastApi api(Laptop laptop) {
        String key = laptop.env().get("VAST_API_KEY");
        if (key == null || key.isBlank()) {
            throw new ExitException(ExitException.USAGE, "--vast-instance needs VAST_API_KEY in the environment (a key from https://cloud.vast.ai/manage-keys/)");
        }
        String base = laptop.env().get("VAST_API_URL");
        return new VastApi(base == null || base.isBlank() ? VastApi.DEFAULT_BASE : URI.create(base), key, duration -> Thread.sleep(duration.toMillis()));
    }
}
