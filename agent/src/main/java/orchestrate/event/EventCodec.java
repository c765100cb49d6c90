package orchestrate.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Events to and from their one-line JSON form. */
public final class EventCodec {

    private static final ObjectMapper JSON = new ObjectMapper();

    private EventCodec() {}

    public static String encode(Envelope envelope) {
        ObjectNode o = JSON.createObjectNode();
        Event event = envelope.event();
        o.put("seq", envelope.seq());
        o.put("time", envelope.time().toString());
        o.put("kind", event.kind());
        if (event.step() != null) {
            o.put("step", event.step());
        }
        if (event instanceof Event.RunStarted e) {
            o.put("run", e.runId());
            o.put("recipe", e.recipe());
            ArrayNode steps = o.putArray("steps");
            e.steps().forEach(steps::add);
        } else if (event instanceof Event.StepStarted e) {
            o.put("step-kind", e.stepKind());
            o.put("index", e.index());
            o.put("count", e.count());
        } else if (event instanceof Event.Log e) {
            o.put("stream", e.stream());
            o.put("line", e.line());
        } else if (event instanceof Event.Progress e) {
            o.put("done", e.done());
            o.put("total", e.total());
            o.put("unit", e.unit());
            if (e.label() != null) {
                o.put("label", e.label());
            }
        } else if (event instanceof Event.StepSkipped e) {
            o.put("reason", e.reason());
            putFacts(o, e.facts());
        } else if (event instanceof Event.StepFinished e) {
            o.put("seconds", e.seconds());
            putFacts(o, e.facts());
        } else if (event instanceof Event.StepFailed e) {
            o.put("message", e.message());
            o.put("seconds", e.seconds());
        } else if (event instanceof Event.Artifact e) {
            o.put("path", e.path());
            o.put("size", e.size());
            o.put("sha256", e.sha256());
        } else if (event instanceof Event.RunFinished e) {
            o.put("status", e.status());
            if (e.message() != null) {
                o.put("message", e.message());
            }
        }
        return o.toString();
    }

    /** Parses one line; a line that is not an event is an {@link IllegalArgumentException}. */
    public static Envelope decode(String line) {
        JsonNode o;
        try {
            o = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a JSON event: " + abbreviate(line), e);
        }
        if (o == null || !o.isObject() || !o.path("kind").isTextual() || !o.path("seq").canConvertToExactIntegral() || !o.path("time").isTextual()) {
            throw new IllegalArgumentException("not an event: " + abbreviate(line));
        }
        try {
            return new Envelope(o.get("seq").asLong(), Instant.parse(o.get("time").asText()), event(o));
        } catch (java.time.DateTimeException e) {
            throw new IllegalArgumentException("an event with a time that is not one: " + abbreviate(line));
        }
    }

    private static Event event(JsonNode o) {
        String step = o.path("step").asText(null);
        return switch (o.get("kind").asText()) {
            case "run-started" -> new Event.RunStarted(o.path("run").asText(), o.path("recipe").asText(), strings(o.path("steps")));
            case "step-started" -> new Event.StepStarted(step, o.path("step-kind").asText(), o.path("index").asInt(), o.path("count").asInt());
            case "log" -> new Event.Log(step, o.path("stream").asText(), o.path("line").asText());
            case "progress" -> new Event.Progress(step, o.path("done").asLong(), o.path("total").asLong(),
                    o.path("unit").asText(), o.path("label").asText(null));
            case "step-skipped" -> new Event.StepSkipped(step, o.path("reason").asText(), facts(o.path("facts")));
            case "step-finished" -> new Event.StepFinished(step, o.path("seconds").asDouble(), facts(o.path("facts")));
            case "step-failed" -> new Event.StepFailed(step, o.path("message").asText(), o.path("seconds").asDouble());
            case "artifact" -> new Event.Artifact(o.path("path").asText(), o.path("size").asLong(), o.path("sha256").asText());
            case "run-finished" -> new Event.RunFinished(o.path("status").asText(), o.path("message").asText(null));
            default -> throw new IllegalArgumentException("unknown event kind '" + abbreviate(o.get("kind").asText()) + "'");
        };
    }

    private static void putFacts(ObjectNode o, Map<String, String> facts) {
        if (!facts.isEmpty()) {
            ObjectNode node = o.putObject("facts");
            new TreeMap<>(facts).forEach(node::put);
        }
    }

    private static Map<String, String> facts(JsonNode object) {
        Map<String, String> facts = new TreeMap<>();
        object.fields().forEachRemaining(field -> facts.put(field.getKey(), field.getValue().asText()));
        return facts;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static String abbreviate(String line) {
        return orchestrate.text.OneLine.of(line.length() <= 120 ? line : line.substring(0, 120) + "...");
    }
}
