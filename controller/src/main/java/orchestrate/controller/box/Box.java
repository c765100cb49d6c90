package orchestrate.controller.box;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.function.Consumer;

/**
 * A machine the agent runs on, reached over SSH or this machine itself: its files, and processes
 * started there. What moves bytes and runs processes is here; what the agent is, and how it is
 * installed, started and watched, is {@link AgentHost}'s, the same for every box.
 */
public interface Box extends Closeable {

    String name();

    String home() throws IOException;

    /** Free disk where {@code path} is (or would be), cores and memory. */
    BoxFacts facts(String path) throws IOException;

    /** The size of a file, or -1 when there is none. */
    long size(String path) throws IOException;

    byte[] read(String path, long offset, int max) throws IOException;

    /**
     * The bytes [offset, offset + length) of a file (fewer when it ends first), read ahead by at most
     * {@code ahead} bytes, asked as it goes, where the transport can keep to it (SFTP can; exec
     * streams cannot, see {@code ExecFiles}).
     */
    InputStream open(String path, long offset, long length, java.util.function.LongSupplier ahead) throws IOException;

    /** Writes a file whole, under a temporary name of its own until it has arrived intact. */
    void upload(byte[] content, String path) throws IOException;

    /** How files travel to and from this box, for the report: "SFTP", ... */
    String transport();

    /** The major version of the Java runtime there, 0 when there is none. */
    int javaVersion() throws IOException;

    /**
     * Installs a Java runtime with the system's package manager, telling {@code say} what it does;
     * false when it cannot here (not root, no apt).
     */
    boolean installJava(Consumer<String> say) throws IOException;

    /** How to name the Java launcher in a command there. */
    String javaCommand();

    /**
     * The options the agent's JVM starts with there: the Vector API's module, for the quantizers'
     * SIMD path, where that runtime has it (a trimmed one refuses the option; the agent then runs
     * the scalar path, slower and the same bytes).
     */
    List<String> agentJvmOptions() throws IOException;

    List<String> VECTOR_API = List.of("--add-modules", "jdk.incubator.vector");

    /**
     * Starts {@code command} in {@code directory}, detached from this connection, with {@code
     * input} on its standard input (never in its arguments) and its output appended to {@code log}.
     * At most once per {@code once}, a path: asked again (after a dropped connection), it answers
     * the pid it started the first time.
     */
    long startDetached(List<String> command, String directory, byte[] input, String log, String once) throws IOException;

    /** Whether process {@code pid} is alive and its command line names a path containing {@code marker}. */
    boolean running(long pid, String marker) throws IOException;

    /** Asks process {@code pid} to stop (SIGTERM). */
    void terminate(long pid) throws IOException;

    /**
     * Another connection to this very box (the same host key), for a transfer of its own: its own
     * channel window and its own file server. The caller closes it.
     */
    Box another() throws IOException;

    /** Whether {@code failure} means the connection dropped, rather than a real error. */
    boolean lostConnection(IOException failure);

    void reconnect() throws IOException;
}
