package orchestrate.controller.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A run as the laptop remembers it in {@code ~/.orchestrate/runs/<id>/run.json}: enough to
 * reconnect, read on from the last event and fetch again. It holds no secrets.
 */
public final class RunRecord {

    private static final ObjectMapper JSON = new ObjectMapper();

    public String id;
    public String recipe;
    public String recipeFile;
    /** "ssh" or "local". */
    public String mode;
    public String user;
    public String host;
    public int port;
    public List<String> identities = new ArrayList<>();
    /** The host key seen at the start; every reconnect must see the same. */
    public String hostKey;
    public String workdir;
    public String fetchTo;
    /** Where this run's events start in events.jsonl, and how far the laptop has read. */
    public long startOffset;
    public long offset;
    public long pid;
    /** "starting", "running", then the agent's "ok", "failed", "cancelled", or "lost". */
    public String state = "starting";
    /** The last verdict line, once there is one. */
    public String verdict;
    public boolean safe;
    public Double perHour;
    /** Where perHour comes from: "--price-per-hour", "the recipe's cost.per-hour" or "vast.ai instance ID". */
    public String rateSource;
    /** What the box keeps costing while stopped, when the provider says. */
    public Double storagePerHour;
    /** When the box started costing: the provider's start time, else the first connection. */
    public Instant costFrom;
    /** The vast.ai instance the run is on, and what to do with it once everything is verified. */
    public String vastInstance;
    public String onDone = "notify";
    public double fetchSeconds;
    public long fetchedBytes;
    /** What each GB leaving the box costs, when the provider says. */
    public Double egressPerGb;
    /** Dollars the run may spend: a warning at 80 %, and at 100 % the agent is stopped cleanly. */
    public Double budget;
    public boolean budgetWarned;
    public boolean budgetStopped;
    /** Whether the running step was seen to take the run past its budget, and what then: "continue", "stop" or "ask". */
    public boolean budgetProjected;
    public String onBudget = "continue";
    public Instant started;
    public Instant finished;

    /** The cost meter of this run, when it has a rate. */
    public java.util.Optional<orchestrate.controller.cost.CostMeter> meter() {
        if (perHour == null) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new orchestrate.controller.cost.CostMeter(perHour, storagePerHour == null ? 0 : storagePerHour,
                egressPerGb == null ? 0 : egressPerGb, rateSource == null ? "given rate" : rateSource, costFrom != null ? costFrom : started));
    }

    public String target() {
        return "local".equals(mode) ? "local" : user + "@" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    byte[] toJson() throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id).put("recipe", recipe).put("recipeFile", recipeFile).put("mode", mode)
                .put("user", user).put("host", host).put("port", port).put("hostKey", hostKey)
                .put("workdir", workdir).put("fetchTo", fetchTo).put("startOffset", startOffset).put("offset", offset)
                .put("pid", pid).put("state", state).put("verdict", verdict).put("safe", safe)
                .put("started", started == null ? null : started.toString())
                .put("finished", finished == null ? null : finished.toString());
        if (perHour != null) {
            o.put("perHour", perHour).put("rateSource", rateSource);
        }
        if (storagePerHour != null) {
            o.put("storagePerHour", storagePerHour);
        }
        if (egressPerGb != null) {
            o.put("egressPerGb", egressPerGb);
        }
        o.put("costFrom", costFrom == null ? null : costFrom.toString()).put("vastInstance", vastInstance).put("onDone", onDone)
                .put("fetchSeconds", fetchSeconds).put("fetchedBytes", fetchedBytes).put("budgetWarned", budgetWarned).put("budgetStopped", budgetStopped)
                .put("budgetProjected", budgetProjected).put("onBudget", onBudget);
        if (budget != null) {
            o.put("budget", budget);
        }
        identities.forEach(o.putArray("identities")::add);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o);
    }

    static RunRecord fromJson(Path file) throws IOException {
        JsonNode o = JSON.readTree(file.toFile());
        RunRecord r = new RunRecord();
        r.id = o.path("id").asText();
        r.recipe = o.path("recipe").asText();
        r.recipeFile = o.path("recipeFile").asText(null);
        r.mode = o.path("mode").asText();
        r.user = o.path("user").asText(null);
        r.host = o.path("host").asText(null);
        r.port = o.path("port").asInt();
        o.path("identities").forEach(n -> r.identities.add(n.asText()));
        r.hostKey = o.path("hostKey").asText(null);
        r.workdir = o.path("workdir").asText();
        r.fetchTo = o.path("fetchTo").asText();
        r.startOffset = o.path("startOffset").asLong();
        r.offset = o.path("offset").asLong();
        r.pid = o.path("pid").asLong();
        r.state = o.path("state").asText();
        r.verdict = o.path("verdict").asText(null);
        r.safe = o.path("safe").asBoolean();
        r.perHour = o.has("perHour") ? o.get("perHour").asDouble() : null;
        r.rateSource = o.path("rateSource").asText(null);
        r.storagePerHour = o.has("storagePerHour") ? o.get("storagePerHour").asDouble() : null;
        r.costFrom = o.hasNonNull("costFrom") ? Instant.parse(o.get("costFrom").asText()) : null;
        r.vastInstance = o.path("vastInstance").asText(null);
        r.onDone = o.path("onDone").asText("notify");
        r.fetchSeconds = o.path("fetchSeconds").asDouble();
        r.fetchedBytes = o.path("fetchedBytes").asLong();
        r.egressPerGb = o.has("egressPerGb") ? o.get("egressPerGb").asDouble() : null;
        r.budget = o.has("budget") ? o.get("budget").asDouble() : null;
        r.budgetWarned = o.path("budgetWarned").asBoolean();
        r.budgetStopped = o.path("budgetStopped").asBoolean();
        r.budgetProjected = o.path("budgetProjected").asBoolean();
        r.onBudget = o.path("onBudget").asText("continue");
        r.started = o.hasNonNull("started") ? Instant.parse(o.get("started").asText()) : null;
        r.finished = o.hasNonNull("finished") ? Instant.parse(o.get("finished").asText()) : null;
        return r;
    }
}
