package orchestrate.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real small disk: a tmpfs of a few MiB mounted on a directory (as root, or through
 * {@code sudo -n}), so that "no space left on device" comes from the kernel, not from us.
 */
public final class SmallDisk implements AutoCloseable {

    private final Path mountPoint;
    private final boolean sudo;

    private SmallDisk(Path mountPoint, boolean sudo) {
        this.mountPoint = mountPoint;
        this.sudo = sudo;
    }

    /** Mounts a tmpfs of {@code size} (e.g. "8m") on {@code dir}, or skips (fails in CI) saying why it cannot. */
    public static SmallDisk mount(Path dir, String size) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String tried = "";
        for (boolean sudo : new boolean[] {false, true}) {
            List<String> command = new ArrayList<>(sudo ? List.of("sudo", "-n") : List.of());
            command.addAll(List.of("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=1777", "tmpfs", dir.toString()));
            try {
                Process mount = new ProcessBuilder(command).redirectErrorStream(true).start();
                String output = new String(mount.getInputStream().readAllBytes()).strip();
                if (mount.waitFor() == 0) {
                    return new SmallDisk(dir, sudo);
                }
                tried += (tried.isEmpty() ? "" : "; ") + String.join(" ", command.subList(0, sudo ? 3 : 1)) + ": " + output;
            } catch (IOException e) {
                tried += (tried.isEmpty() ? "" : "; ") + e.getMessage();
            }
        }
        RealPart.require(false, "cannot mount a " + size + " tmpfs for a small disk (needs root or passwordless sudo): " + tried);
        throw new IllegalStateException("unreachable");
    }

    public Path path() {
        return mountPoint;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(sudo ? List.of("sudo", "-n") : List.of());
        command.addAll(List.of("umount", "-l", mountPoint.toString()));
        new ProcessBuilder(command).redirectErrorStream(true).start().waitFor(10, TimeUnit.SECONDS);
    }
}
