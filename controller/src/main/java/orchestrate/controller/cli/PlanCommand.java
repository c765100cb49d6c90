package orchestrate.controller.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import orchestrate.controller.ExitException;
import orchestrate.controller.Laptop;
import orchestrate.controller.box.Box;
import orchestrate.controller.box.BoxFacts;
import orchestrate.controller.console.Format;
import orchestrate.plan.PlanContext;
import orchestrate.plan.RecipePlanner;
import orchestrate.recipe.Recipe;
import orchestrate.steps.StepCatalog;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "plan", description = "Estimate a recipe before renting or running: disk per step, the peak, the time and the cost; with --host, whether the box can hold it.")
public final class PlanCommand implements Callable<Integer> {

    private final Laptop laptop;

    @Parameters(paramLabel = "RECIPE", description = "The recipe file.")
    Path recipe;

    @Option(names = "--set", paramLabel = "NAME=VALUE", description = "Override a recipe var.")
    Map<String, String> overrides = new LinkedHashMap<>();

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    TargetOptions.Where where;

    @Option(names = {"-i", "--identity"}, paramLabel = "KEY", description = "Private key file for --host.")
    Path identity;

    @Option(names = "--accept-new-host-key", description = "Trust a host key seen for the first time.")
    boolean acceptNewHostKey;

    @Option(names = "--host-key", paramLabel = "SHA256:...", description = "Accept only this host key fingerprint.")
    String hostKey;

    @Option(names = "--network-mbps", paramLabel = "MB/s", description = "Download speed from the Hub (default ${DEFAULT-VALUE}).")
    double networkMBps = 100;

    @Option(names = "--convert-mbps", paramLabel = "MB/s", description = "Conversion speed, input MB/s (default ${DEFAULT-VALUE}).")
    double convertMBps = 300;

    @Option(names = "--quantize-mbps-per-core", paramLabel = "MB/s", description = "K-quant speed per core and per type, input MB/s (default ${DEFAULT-VALUE}).")
    double quantizeMBps = 38;

    @Option(names = "--cores", paramLabel = "N", description = "Cores of the box (default: the box's with --host, else ${DEFAULT-VALUE}).")
    int cores = 8;

    @Option(names = "--price-per-hour", paramLabel = "USD", description = "What the box costs (default: the recipe's cost.per-hour).")
    Double pricePerHour;

    public PlanCommand(Laptop laptop) {
        this.laptop = laptop;
    }

    @Override
    public Integer call() throws Exception {
        Recipe loaded = Recipes.load(recipe, overrides);
        BoxFacts facts = null;
        String boxName = null;
        if (where != null) {
            try (Box box = TargetOptions.open(where, identity, acceptNewHostKey, hostKey, laptop)) {
                boxName = box.name();
                facts = box.facts(RunCommand.workdir(loaded.workdir(), box.home()));
            }
            cores = facts.cores();
        }
        PlanContext.Rates rates = new PlanContext.Rates(networkMBps, convertMBps, quantizeMBps, cores);
        List<PlanContext.Estimate> estimates;
        try {
            PlanContext planned = RecipePlanner.plan(StepCatalog.plan(loaded), laptop.env(), rates);
            planned.notices().forEach(notice -> laptop.err().println("orchestrate: " + notice));
            estimates = planned.estimates();
        } catch (orchestrate.hub.HubException e) {
            throw new ExitException(ExitException.USAGE, e.getMessage());
        } catch (java.io.IOException e) {
            throw new ExitException(ExitException.CONNECTION, "cannot reach the Hub to plan " + recipe + ": " + e.getMessage());
        }
        Double price = pricePerHour != null ? pricePerHour : loaded.cost().perHour().isPresent() ? loaded.cost().perHour().getAsDouble() : null;
        laptop.out().printf(Locale.ROOT, "Plan for %s (network %.0f MB/s, convert %.0f MB/s, quantize %.0f MB/s per core and type, %d cores%s):%n", recipe,
                networkMBps, convertMBps, quantizeMBps, cores, price == null ? "" : ", " + Format.dollars(price) + "/h");
        int width = Math.max(4, estimates.stream().mapToInt(e -> e.step().length()).max().orElse(4));
        String row = "  %-" + width + "s  %-12s  %9s  %10s  %10s  %s%n";
        laptop.out().printf(Locale.ROOT, row, "step", "kind", "time", "disk after", "peak disk", "notes");
        double seconds = 0;
        long peak = 0;
        for (PlanContext.Estimate estimate : estimates) {
            laptop.out().printf(Locale.ROOT, row, estimate.step(), estimate.kind(), estimate.seconds() > 0 ? Format.seconds(estimate.seconds()) : "-",
                    gigabytes(estimate.diskAfter()), gigabytes(estimate.diskPeak()), estimate.note());
            seconds += estimate.seconds();
            peak = Math.max(peak, estimate.diskPeak());
        }
        laptop.out().println("Total: " + Format.seconds(seconds) + (price == null ? "" : ", about " + Format.dollars(price * seconds / 3600) + " at "
                + Format.dollars(price) + "/h") + "; peak disk " + gigabytes(peak) + ".");
        long failing = estimates.stream().filter(PlanContext.Estimate::wouldFail).count();
        if (failing > 0) {
            laptop.out().println(failing + (failing == 1 ? " step would fail" : " steps would fail") + ": fix the recipe before renting a box for it.");
            return ExitException.RUN_FAILED;
        }
        if (facts == null) {
            return 0;
        }
        String resources = boxName + ": " + gigabytes(facts.freeDisk()) + " free, " + facts.cores() + " cores, " + gigabytes(facts.memory()) + " memory";
        if (peak > facts.freeDisk()) {
            laptop.out().println("does not fit: needs " + gigabytes(peak) + ", has " + gigabytes(facts.freeDisk()) + " (" + resources
                    + "); delete-source on convert or quantize, or in-place on split, lowers the peak");
            return ExitException.RUN_FAILED;
        }
        laptop.out().println("fits: needs " + gigabytes(peak) + " at the peak (" + resources + ")");
        return 0;
    }

    private static String gigabytes(long bytes) {
        return orchestrate.plan.Plans.gigabytes(bytes);
    }
}
