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
     * Sets the record's rate and start (for a new run) or takes the options given again (attach,
     * fetch), and checks that --on-done can happen, before anything runs.
     */
    void apply(RunRecord record, Laptop laptop, OptionalRate recipeRate, ConsoleView view, boolean newRun) {
        if (onBudget != null) {
            if (!onBudget.equals("stop") && !onBudget.equals("continue")) {
                throw new ExitException(ExitException.USAGE, "--on-budget must be stop or continue, not '" + onBudget + "'");
            }
            record.onBudget = onBudget;
        } else if (newRun) {
            record.onBudget = laptop.terminal() ? "ask" : "continue";
        }
        if (budget != null || (newRun && recipeRate.budget() != null)) {
            record.budget = budget != null ? budget : recipeRate.budget();
            if (record.budget <= 0) {
                throw new ExitException(ExitException.USAGE, "--budget must be more than 0, not " + record.budget);
            }
        }
        if (vastInstance != null) {
            record.vastInstance = vastInstance;
        }
        if (onDone != null) {
            record.onDone = OnDone.parse(onDone).name().toLowerCase(java.util.Locale.ROOT);
        }
        OnDone.check(OnDone.parse(record.onDone), record.vastInstance);
        if (record.vastInstance != null && (newRun || vastInstance != null)) {
            VastInstance instance = read(laptop, record.vastInstance);
            record.perHour = instance.perHour();
            record.rateSource = "vast.ai instance " + instance.id();
            record.storagePerHour = instance.storagePerHour();
            record.egressPerGb = instance.uploadPerGb();
            record.costFrom = instance.started() != null ? instance.started() : record.costFrom;
            view.notice("vast.ai instance " + instance.id() + ": " + instance.status() + ", " + Format.dollars(instance.perHour()) + "/h"
                    + (instance.storagePerHour() > 0 ? " (storage " + Format.dollars(instance.storagePerHour()) + "/h, billed even when stopped)" : "")
                    + (instance.started() != null ? ", started " + instance.started() : ""));
        } else if (newRun && recipeRate.perHour() != null) {
            record.perHour = recipeRate.perHour();
            record.rateSource = "the recipe's cost.per-hour";
        }
        if (pricePerHour != null) {
            if (pricePerHour < 0) {
                throw new ExitException(ExitException.USAGE, "--price-per-hour must be 0 or more, not " + pricePerHour);
            }
            record.perHour = pricePerHour;
            record.rateSource = "--price-per-hour";
        }
        if (record.costFrom == null) {
            record.costFrom = record.started != null ? record.started : laptop.clock().instant();
        }
        if (record.budget != null && record.perHour == null) {
            throw new ExitException(ExitException.USAGE, "a budget needs a price: give --price-per-hour, --vast-instance or the recipe's cost.per-hour");
        }
    }

    /** The action to take on a safe verdict, with what it needs. */
    OnDone onDone(RunRecord record, Laptop laptop) {
        OnDone.Action action = OnDone.parse(record.onDone);
        return new OnDone(action, record.vastInstance, record.vastInstance == null ? null : api(laptop), laptop, yes);
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
