package orchestrate.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
        event.accept(new Fields(o));
        return o.toString();
    }

    /** Each kind's own fields. */
    private record Fields(ObjectNode o) implements Event.Visitor<Void> {
        @Override
        public Void runStarted(Event.RunStarted e) {
            o.put("run", e.runId()).put("recipe", e.recipe()).put("protocol", e.protocol());
            e.steps().forEach(o.putArray("steps")::add);
            return null;
        }

        @Override
        public Void stepStarted(Event.StepStarted e) {
            o.put("step-kind", e.stepKind()).put("index", e.index()).put("count", e.count());
            return null;
        }

        @Override
        public Void log(Event.Log e) {
            o.put("stream", e.stream().wire()).put("line", e.line());
            return null;
        }

        @Override
        public Void progress(Event.Progress e) {
            o.put("done", e.done()).put("total", e.total()).put("unit", e.unit().wire());
            if (e.label() != null) {
                o.put("label", e.label());
            }
            return null;
        }

        @Override
        public Void stepSkipped(Event.StepSkipped e) {
            o.put("reason", e.reason());
            putFacts(o, e.facts());
            return null;
        }

        @Override
        public Void stepFinished(Event.StepFinished e) {
            o.put("seconds", e.seconds());
            putFacts(o, e.facts());
            return null;
        }

        @Override
        public Void stepFailed(Event.StepFailed e) {
            o.put("message", e.message()).put("seconds", e.seconds());
            return null;
        }

        @Override
        public Void artifact(Event.Artifact e) {
            o.put("path", e.path()).put("size", e.size()).put("sha256", e.sha256());
            return null;
        }

        @Override
        public Void runFinished(Event.RunFinished e) {
            o.put("status", e.status().wire()).put("reason", e.reason().wire());
            if (e.message() != null) {
                o.put("message", e.message());
            }
            return null;
        }
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
            case "run-started" -> new Event.RunStarted(o.path("run").asText(), o.path("recipe").asText(), strings(o.path("steps")),
                    o.path("protocol").asInt(1));
            case "step-started" -> new Event.StepStarted(step, o.path("step-kind").asText(), o.path("index").asInt(), o.path("count").asInt());
            case "log" -> new Event.Log(step, named(Event.Stream.values(), o.path("stream"), Event.Stream::wire), o.path("line").asText());
            case "progress" -> new Event.Progress(step, o.path("done").asLong(), o.path("total").asLong(),
                    named(Event.Unit.values(), o.path("unit"), Event.Unit::wire), o.path("label").asText(null));
            case "step-skipped" -> new Event.StepSkipped(step, o.path("reason").asText(), facts(o.path("facts")));
            case "step-finished" -> new Event.StepFinished(step, o.path("seconds").asDouble(), facts(o.path("facts")));
            case "step-failed" -> new Event.StepFailed(step, o.path("message").asText(), o.path("seconds").asDouble());
            case "artifact" -> new Event.Artifact(o.path("path").asText(), o.path("size").asLong(), o.path("sha256").asText());
            case "run-finished" -> new Event.RunFinished(named(Event.Status.values(), o.path("status"), Event.Status::wire),
                    named(Event.Reason.values(), o.path("reason"), Event.Reason::wire), o.path("message").asText(null));
            default -> throw new IllegalArgumentException("unknown event kind '" + abbreviate(o.get("kind").asText()) + "'");
        };
    }

    /** The constant whose wire name a field holds; anything else is not an event of this protocol. */
    private static <E extends Enum<E>> E named(E[] values, JsonNode field, java.util.function.Function<E, String> wire) {
        for (E value : values) {
            if (wire.apply(value).equals(field.asText())) {
                return value;
            }
        }
        throw new IllegalArgumentException("an event with " + abbreviate(field.toString()) + " where one of "
                + java.util.Arrays.stream(values).map(wire).toList() + " belongs");
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
