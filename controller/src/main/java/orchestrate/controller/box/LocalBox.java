package orchestrate.controller.box;

import orchestrate.files.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
    public Box another() {
        return new LocalBox(home);
    }

    @Override
    public String transport() {
        return "local files";
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
    public int javaVersion() {
        return Runtime.version().feature(); // the agent runs on the controller's own runtime
    }

    @Override
    public List<String> agentJvmOptions() {
        return java.lang.module.ModuleFinder.ofSystem().find("jdk.incubator.vector").isPresent() ? VECTOR_API : List.of();
    }

    @Override
    public boolean installJava(Consumer<String> say) {
        return false;
    }

    @Override
    public String javaCommand() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    @Override
    public void upload(byte[] content, String path) throws IOException {
        AtomicFiles.write(Path.of(path), content);
    }

    @Override
    public long startDetached(List<String> command, String directory, byte[] input, String log, String once) throws IOException {
        Path marker = Path.of(once);
        Files.createDirectories(marker.getParent());
        try {
            Files.createDirectory(marker);
        } catch (java.nio.file.FileAlreadyExistsException started) {
            return Long.parseLong(Files.readString(marker.resolve("pid")).strip());
        }
        Files.createDirectories(Path.of(directory));
        Process process = new ProcessBuilder(command).directory(Path.of(directory).toFile())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of(log).toFile()))
                .redirectErrorStream(true)
                .start();
        try (OutputStream stdin = process.getOutputStream()) {
            stdin.write(input);
        }
        AtomicFiles.write(marker.resolve("pid"), (process.pid() + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return process.pid();
    }

    @Override
    public boolean running(long pid, String marker) {
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .flatMap(p -> p.info().commandLine()).map(c -> c.replace('\\', '/').contains(marker)).orElse(false);
    }

    @Override
    public void terminate(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
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
    public InputStream open(String path, long offset, long length, java.util.function.LongSupplier ahead) throws IOException {
        InputStream in = Files.newInputStream(Path.of(path));
        in.skipNBytes(offset);
        return new java.io.FilterInputStream(in) {
            private long left = length;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] buffer, int from, int count) throws IOException {
                if (left <= 0) {
                    return -1;
                }
                int n = super.read(buffer, from, (int) Math.min(count, left));
                left -= Math.max(n, 0);
                return n;
            }
        };
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
