package orchestrate.controller.box;

import orchestrate.files.Workdir;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/** {@code --local}: the agent runs on this machine, started as a plain child process. */
public final class LocalBox implements Box {

    private final Path home;

    public LocalBox(Path home) {
        this.home = home;
    }

    @Override
    public String name() {
        return "this machine";
    }

    @Override
    public String home() {
        return home.toAbsolutePath().toString().replace('\\', '/');
    }

    @Override
    public void ensureJava(Consumer<String> say) {
        // The controller itself runs on Java 17 or later, and the agent uses the same runtime.
    }

    @Override
    public String installAgent(byte[] jar, String sha256) throws IOException {
        Path path = home.resolve(".orchestrate").resolve(AgentJar.FILE_PREFIX + sha256 + ".jar");
        if (!Files.isRegularFile(path) || Files.size(path) != jar.length) {
            upload(jar, path.toString());
        }
        return path.toString();
    }

    @Override
    public void upload(byte[] content, String path) throws IOException {
        Path target = Path.of(path);
        Files.createDirectories(target.getParent());
        Path temporary = target.resolveSibling(target.getFileName() + ".tmp");
        Files.write(temporary, content);
        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public long startAgent(AgentLaunch launch) throws IOException {
        Path state = Path.of(launch.stateDir());
        Files.createDirectories(state);
        String java = ProcessHandle.current().info().command().orElse("java");
        Process process = new ProcessBuilder(List.of(java, "-jar", launch.jar(), "run", "--workdir", launch.workdir(),
                "--run-id", launch.runId(), "--source-name", launch.sourceName(), "--params-stdin", launch.recipe()))
                .directory(Path.of(launch.workdir()).toFile())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(state.resolve(Workdir.LOG).toFile()))
                .redirectErrorStream(true)
                .start();
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(launch.params());
        }
        return process.pid();
    }

    @Override
    public boolean isAgentRunning(long pid) {
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .flatMap(p -> p.info().commandLine()).map(c -> c.contains(AgentJar.FILE_PREFIX)).orElse(false);
    }

    @Override
    public BoxFacts facts(String path) throws IOException {
        Path existing = Path.of(path).toAbsolutePath();
        while (!Files.exists(existing)) {
            existing = existing.getParent();
        }
        long memory = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        return new BoxFacts(Files.getFileStore(existing).getUsableSpace(), Runtime.getRuntime().availableProcessors(), memory);
    }

    @Override
    public void stopAgent(long pid) {
        if (isAgentRunning(pid)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
        }
    }

    @Override
    public long size(String path) throws IOException {
        Path p = Path.of(path);
        return Files.isRegularFile(p) ? Files.size(p) : -1;
    }

    @Override
    public byte[] read(String path, long offset, int max) throws IOException {
        try (var channel = Files.newByteChannel(Path.of(path), StandardOpenOption.READ)) {
            long available = Math.max(0, channel.size() - offset);
            byte[] bytes = new byte[(int) Math.min(max, available)];
            channel.position(offset);
            var buffer = java.nio.ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                // keep reading until the requested bytes are in
            }
            return buffer.hasRemaining() ? Arrays.copyOf(bytes, buffer.position()) : bytes;
        }
    }

    @Override
    public InputStream open(String path, long offset) throws IOException {
        InputStream in = Files.newInputStream(Path.of(path));
        in.skipNBytes(offset);
        return in;
    }

    @Override
    public boolean lostConnection(IOException failure) {
        return false;
    }

    @Override
    public void reconnect() {
        // nothing to reconnect
    }

    @Override
    public void close() {
        // the agent keeps running on its own
    }
}
