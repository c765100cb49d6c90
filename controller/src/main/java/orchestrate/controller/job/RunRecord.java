package orchestrate.controller.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import orchestrate.controller.cost.CostMeter;
import orchestrate.controller.cost.OnDone;

/**
 * A run as the laptop remembers it in {@code ~/.orchestrate/runs/<id>/run.json}: enough to
 * reconnect, read on from the last event and fetch again. It holds no secrets. A value: it is
 * changed only through its {@link Run}, which saves every change.
 *
 * @param price        what the box costs, or null when no rate is known
 * @param vastInstance the vast.ai instance the run is on, or null
 * @param budget       the run's budget, or null for none
 */
public record RunRecord(String id, String recipe, String recipeFile, Target target, String workdir, String fetchTo, Reading reading, State state,
                        Verdict verdict, Price price, String vastInstance, OnDone.Action onDone, Fetched fetched, Budget budget, Instant started,
                        Instant finished) {

    /** Where a run stands, as this laptop last saw it: the agent's own end, or lost when the agent vanished without one. */
    public enum State {
        STARTING, RUNNING, OK, FAILED, CANCELLED, LOST;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Where the agent runs: this machine, or an SSH endpoint pinned to the host key the run first saw. */
    public record Target(boolean local, String user, String host, int port, List<String> identities, String hostKey) {

        public Target {
            identities = List.copyOf(identities);
        }

        public static Target thisMachine() {
            return new Target(true, null, null, 0, List.of(), null);
        }

        /** {@code user@host:port}, or "local". */
        public String display() {
            return local ? "local" : user + "@" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /** Where this run's events start in events.jsonl, how far the laptop has read, and the agent's pid. */
    public record Reading(long startOffset, long offset, long pid) {}

    /** The last verdict line, and whether it says the box may go. */
    public record Verdict(String text, boolean safe) {}

    /** What the box costs: dollars per hour (and where that figure comes from), storage, egress, and since when. */
    public record Price(double perHour, String source, double storagePerHour, double egressPerGb, Instant from) {}

    /** What the fetches of this run took. */
    public record Fetched(double seconds, long bytes) {

        Fetched plus(double moreSeconds, long moreBytes) {
            return new Fetched(seconds + moreSeconds, bytes + moreBytes);
        }
    }

    /** What to do when the running step shows the run will pass its budget. */
    public enum OnBudget {
        ASK, STOP, CONTINUE;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Dollars the run may spend: a warning at 80 % ({@code warned}), a question or a stop when a
     * step is seen to pass it ({@code projected}), and the agent stopped at 100 % ({@code stopped}).
     */
    public record Budget(double dollars, OnBudget onBudget, boolean warned, boolean projected, boolean stopped) {

        public Budget markWarned() {
            return new Budget(dollars, onBudget, true, projected, stopped);
        }

        public Budget markProjected() {
            return new Budget(dollars, onBudget, warned, true, stopped);
        }

        public Budget markStopped() {
            return new Budget(dollars, onBudget, warned, projected, true);
        }
    }

    /** A run about to start: nothing read, nothing spent, no verdict. */
    public static RunRecord starting(String id, String recipe, String recipeFile, String fetchTo, Instant started) {
        return new RunRecord(id, recipe, recipeFile, Target.thisMachine(), null, fetchTo, new Reading(0, 0, 0), State.STARTING, null, null, null,
                OnDone.Action.NOTIFY, new Fetched(0, 0), null, started, null);
    }

    public RunRecord withTarget(Target target) {
        return new RunRecord(id, recipe, recipeFile, target, workdir, fetchTo, reading, state, verdict, price, vastInstance, onDone, fetched, budget,
                started, finished);
    }

    public RunRecord withWorkdir(String workdir) {
        return new RunRecord(id, recipe, recipeFile, target, workdir, fetchTo, reading, state, verdict, price, vastInstance, onDone, fetched, budget,
                started, finished);
    }

    public RunRecord withFetchTo(String fetchTo) {
        return new RunRecord(id, recipe, recipeFile, target, workdir, fetchTo, reading, state, verdict, price, vastInstance, onDone, fetched, budget,
                started, finished);
    }

    public RunRecord withReading(Reading reading) {
        return new RunRecord(id, recipe, recipeFile, target, workdir, fetchTo, reading, state, verdict, price, vastInstance, onDone, fetched, budget,
                started, finished);
    }

    /** The laptop has read on to {@code offset}. */
    public RunRecord readTo(long offset) {
        return withReading(new Reading(reading.startOffset(), offset, reading.pid()));
    }

    public RunRecord withState(State state) {
        return new RunRecord(id, recipe, recipeFile, target, workdir, fetchTo, reading, state, verdict, price, vastInstance, onDone, fetched, budget,
                started, finished);
    }

    /** The run as it ended on the box, seen now. */
    public RunRecord ended(State state, Instant at) {
        return new RunRecord(id, recipe, recipeFile, target, workdir, fetchTo, reading, state, verdict, price, vastInstance, onDone, fetched, budget,
                started, at);
    }

    public RunRecord withVerdict(Verdict verdict) {
        return new RunRecord(id, recipe, recipeFile, target, workdir, fetchTo, reading, state, verdict, price, vastInstance, onDone, fetched, budget,
                started, finished);
    }

    public RunRecord withPrice(Price price) {
        return new RunRecord(id, recipe, recipeFile, target, workdir, fetchTo, reading, state, verdict, price, vastInstance, onDone, fetched, budget,
                started, finished);
    }

    public RunRecord withVastInstance(String vastInstance) {
        return new RunRecord(id, recipe, recipeFile, target, workdir, fetchTo, reading, state, verdict, price, vastInstance, onDone, fetched, budget,
                started, finished);
    }

    public RunRecord withOnDone(OnDone.Action onDone) {
        return new RunRecord(id, recipe, recipeFile, target, workdir, fetchTo, reading, state, verdict, price, vastInstance, onDone, fetched, budget,
                started, finished);
    }

    public RunRecord withFetched(Fetched fetched) {
        return new RunRecord(id, recipe, recipeFile, target, workdir, fetchTo, reading, state, verdict, price, vastInstance, onDone, fetched, budget,
                started, finished);
    }

    public RunRecord withBudget(Budget budget) {
        return new RunRecord(id, recipe, recipeFile, target, workdir, fetchTo, reading, state, verdict, price, vastInstance, onDone, fetched, budget,
                started, finished);
    }

    /** The cost meter of this run, when it has a price. */
    public Optional<CostMeter> meter() {
        return price == null ? Optional.empty()
                : Optional.of(new CostMeter(price.perHour(), price.storagePerHour(), price.egressPerGb(), price.source(),
                        price.from() != null ? price.from() : started));
    }

    /** When the run began costing: the provider's start, else the first connection. */
    public Instant costFrom() {
        return price != null && price.from() != null ? price.from() : started;
    }

    public boolean safe() {
        return verdict != null && verdict.safe();
    }

    byte[] toJson() throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("version", 2).put("id", id).put("recipe", recipe).put("recipeFile", recipeFile).put("mode", target.local() ? "local" : "ssh");
        if (!target.local()) {
            o.put("user", target.user()).put("host", target.host()).put("port", target.port()).put("hostKey", target.hostKey());
            target.identities().forEach(o.putArray("identities")::add);
        }
        o.put("workdir", workdir).put("fetchTo", fetchTo).put("startOffset", reading.startOffset()).put("offset", reading.offset())
                .put("pid", reading.pid()).put("state", state.wire()).put("started", text(started)).put("finished", text(finished));
        if (verdict != null) {
            o.put("verdict", verdict.text()).put("safe", verdict.safe());
        }
        if (price != null) {
            o.put("perHour", price.perHour()).put("rateSource", price.source()).put("storagePerHour", price.storagePerHour())
                    .put("egressPerGb", price.egressPerGb()).put("costFrom", text(price.from()));
        }
        o.put("vastInstance", vastInstance).put("onDone", onDone.name().toLowerCase(Locale.ROOT))
                .put("fetchSeconds", fetched.seconds()).put("fetchedBytes", fetched.bytes());
        if (budget != null) {
            o.put("budget", budget.dollars()).put("onBudget", budget.onBudget().wire()).put("budgetWarned", budget.warned())
                    .put("budgetProjected", budget.projected()).put("budgetStopped", budget.stopped());
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o);
    }

    static RunRecord fromJson(Path file) throws IOException {
        JsonNode o = JSON.readTree(file.toFile());
        if (o == null || !o.isObject() || !o.path("id").isTextual()) {
            throw new IllegalArgumentException("not a run record");
        }
        List<String> identities = new ArrayList<>();
        o.path("identities").forEach(n -> identities.add(n.asText()));
        Target target = "local".equals(o.path("mode").asText()) ? Target.thisMachine()
                : new Target(false, o.path("user").asText(null), o.path("host").asText(null), o.path("port").asInt(), identities,
                        o.path("hostKey").asText(null));
        Verdict verdict = o.hasNonNull("verdict") ? new Verdict(o.get("verdict").asText(), o.path("safe").asBoolean()) : null;
        Price price = o.has("perHour") ? new Price(o.get("perHour").asDouble(), o.path("rateSource").asText(null), o.path("storagePerHour").asDouble(),
                o.path("egressPerGb").asDouble(), instant(o.get("costFrom"))) : null;
        Budget budget = o.has("budget") ? new Budget(o.get("budget").asDouble(), OnBudget.valueOf(o.path("onBudget").asText("continue").toUpperCase(Locale.ROOT)),
                o.path("budgetWarned").asBoolean(), o.path("budgetProjected").asBoolean(), o.path("budgetStopped").asBoolean()) : null;
        return new RunRecord(o.get("id").asText(), o.path("recipe").asText(), o.path("recipeFile").asText(null), target, o.path("workdir").asText(null),
                o.path("fetchTo").asText(), new Reading(o.path("startOffset").asLong(), o.path("offset").asLong(), o.path("pid").asLong()),
                State.valueOf(o.path("state").asText("starting").toUpperCase(Locale.ROOT)), verdict, price, o.path("vastInstance").asText(null),
                OnDone.parse(o.path("onDone").asText("notify")), new Fetched(o.path("fetchSeconds").asDouble(), o.path("fetchedBytes").asLong()), budget,
                instant(o.get("started")), instant(o.get("finished")));
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    private static Instant instant(JsonNode node) {
        return node == null || node.isNull() ? null : Instant.parse(node.asText());
    }
}
