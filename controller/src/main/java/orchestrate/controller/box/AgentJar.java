package orchestrate.controller.box;

import orchestrate.controller.ExitException;
import orchestrate.files.Hashing;
import java.io.IOException;
import java.io.InputStream;

/** The agent's self-contained jar, carried inside the controller's jar. */
public record AgentJar(byte[] bytes, String sha256) {

    /** Installed on a box as {@code ~/.orchestrate/agent-<sha256>.jar}; also how a running agent is recognised. */
    public static final String FILE_PREFIX = "agent-";
    private static final String RESOURCE = "/orchestrate/orchestrate-agent.jar";

    public static AgentJar load() {
        try (InputStream in = AgentJar.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new ExitException(ExitException.INTERNAL, "this build has no agent jar (" + RESOURCE + "); rebuild with: mvn -B package");
            }
            byte[] bytes = in.readAllBytes();
            return new AgentJar(bytes, Hashing.hex(Hashing.sha256().digest(bytes)));
        } catch (IOException e) {
            throw new ExitException(ExitException.INTERNAL, "cannot read the agent jar: " + e.getMessage(), e);
        }
    }
}
