package orchestrate.process;

import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Waiting for a process a step started, without ever waiting for ever: the wait ends when the
 * process does, when the run is cancelled, or when a time limit passes; the process and every
 * process it started are then stopped (SIGTERM, then SIGKILL after a grace period), so nothing
 * keeps running on the box once the step is over.
 */
public final class ChildProcess {

    /** How a wait ended: the exit status, or why the process was stopped (then {@code status} is the status it died with). */
    public record Outcome(int status, Stopped stopped) {

        public boolean exited() {
            return stopped == null;
        }
    }

    public enum Stopped { TIMED_OUT, CANCELLED }

    private static final Duration POLL = Duration.ofMillis(100);

    private ChildProcess() {}

    /**
     * Waits for {@code process}; {@code timeout} null waits as long as the process runs, unless
     * {@code cancelled} says to stop.
     */
    public static Outcome await(Process process, Duration timeout, BooleanSupplier cancelled, Duration grace) throws InterruptedException {
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        while (!process.waitFor(POLL.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            Stopped reason = cancelled.getAsBoolean() ? Stopped.CANCELLED : System.nanoTime() - deadline >= 0 ? Stopped.TIMED_OUT : null;
            if (reason != null) {
                stopTree(process.toHandle(), grace);
                process.waitFor();
                return new Outcome(process.exitValue(), reason);
            }
        }
        return new Outcome(process.exitValue(), null);
    }

    /**
     * Stops {@code root} and its descendants: SIGTERM to all, then SIGKILL to whatever is still
     * alive after {@code grace}. The descendants are listed first, as they lose their parent link
     * once it dies.
     */
    public static void stopTree(ProcessHandle root, Duration grace) {
        List<ProcessHandle> tree = new java.util.ArrayList<>(root.descendants().toList());
        tree.add(root);
        stop(tree, grace);
    }

    /** Stops every process this one started (its descendants), as {@link #stopTree} does; this process lives on. */
    public static void stopDescendants(Duration grace) {
        stop(ProcessHandle.current().descendants().toList(), grace);
    }

    private static void stop(List<ProcessHandle> processes, Duration grace) {
        processes.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + grace.toNanos();
        while (processes.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        processes.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }
}
