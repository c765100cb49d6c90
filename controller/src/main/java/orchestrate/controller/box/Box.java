package orchestrate.controller.box;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.function.Consumer;

/**
 * Where the agent runs: a rented machine over SSH, or this one. Paths are absolute paths on the
 * box, with '/' separators.
 */
public interface Box extends Closeable {

    /** How messages name the box, e.g. "root@1.2.3.4:34538". */
    String name();

    /** The home directory on the box, for '~' in recipe workdirs. */
    String home() throws IOException;

    /** Makes sure a Java runtime of at least 17 is there, installing it where it can. */
    void ensureJava(Consumer<String> say) throws IOException;

    /** Puts the agent jar on the box, unless a copy with this hash is already there; returns its path. */
    String installAgent(byte[] jar, String sha256) throws IOException;

    /** Writes a file whole (temporary name, then rename). */
    void upload(byte[] content, String path) throws IOException;

    /** Starts the agent detached from this connection and returns its process id. */
    long startAgent(AgentLaunch launch) throws IOException;

    /** Whether {@code pid} is alive and is an orchestrate agent (a pid can be reused after a reboot). */
    boolean isAgentRunning(long pid) throws IOException;

    /** Asks the agent to stop (SIGTERM): it ends the running step cleanly and finishes the run as cancelled. */
    void stopAgent(long pid) throws IOException;

    /** Free disk at {@code path} (or the nearest directory above it that exists), cores and memory. */
    BoxFacts facts(String path) throws IOException;

    /** The size of a file, or -1 when there is none. */
    long size(String path) throws IOException;

    /** Up to {@code max} bytes from {@code offset}; fewer at the end of the file. */
    byte[] read(String path, long offset, int max) throws IOException;

    /** A stream of the file from {@code offset} on. */
    InputStream open(String path, long offset) throws IOException;

    /** Whether a failed call failed because the link dropped (worth reconnecting), not for a real error. */
    boolean lostConnection(IOException failure);

    /** Drops the connection, if any, and makes a new one. */
    void reconnect() throws IOException;
}
