package orchestrate.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the controller hands the agent on standard input rather than on its command line, where
 * any user of the box could read it: {@code --set} values and forwarded environment variables,
 * and which of them are secret; and how many seconds of the budget are left when the agent starts
 * (0 for no budget), so the box stops itself even when no controller is following.
 */
public record AgentParams(Map<String, String> vars, Map<String, String> env, Set<String> secret, long budgetSeconds) {

    public static final AgentParams NONE = new AgentParams(Map.of(), Map.of(), Set.of(), 0);

    public AgentParams(Map<String, String> vars, Map<String, String> env, Set<String> secret) {
        this(vars, env, secret, 0);
    }
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The values that must be masked wherever the agent writes text. */
    public List<String> secretValues() {
        List<String> values = new ArrayList<>();
        secret.forEach(name -> {
            if (vars.containsKey(name)) values.add(vars.get(name));
            if (env.containsKey(name)) values.add(env.get(name));
        });
        return values;
    }

    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode();
        vars.forEach(root.putObject("vars")::put);
        env.forEach(root.putObject("env")::put);
        secret.forEach(root.putArray("secret")::add);
        if (budgetSeconds > 0) {
            root.put("budget_seconds", budgetSeconds);
        }
        return root.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    public static AgentParams read(InputStream in) throws IOException {
        JsonNode root = JSON.readTree(in.readAllBytes());
        if (root == null || !root.isObject()) {
            throw new IOException("expected the run parameters as a JSON object on standard input");
        }
        return new AgentParams(strings(root.path("vars")), strings(root.path("env")), Set.copyOf(list(root.path("secret"))),
                root.path("budget_seconds").asLong(0));
    }

    private static Map<String, String> strings(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    private static List<String> list(JsonNode node) {
        List<String> out = new ArrayList<>();
        node.forEach(n -> out.add(n.asText()));
        return out;
    }
}
