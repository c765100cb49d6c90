package orchestrate.hub;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/** Waiting for parallel work where the first failure stops the rest and is the one reported. */
final class Parallel {

    private Parallel() {}

    /**
     * Waits for every task; on the first failure sets {@code stop} and, once all have ended, throws
     * a failure: the first real one, not a cancellation that the stop itself caused in another task.
     */
    static void awaitAll(List<? extends Future<?>> tasks, AtomicBoolean stop) throws IOException, HubException {
        Throwable first = null;
        for (Future<?> task : tasks) {
            try {
                task.get();
            } catch (ExecutionException e) {
                stop.set(true);
                boolean cancellation = e.getCause() instanceof java.util.concurrent.CancellationException;
                if (first == null || (first instanceof java.util.concurrent.CancellationException && !cancellation)) {
                    first = e.getCause();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop.set(true);
                first = first == null ? new IOException("interrupted") : first;
            }
        }
        if (first instanceof HubException hub) {
            throw hub;
        }
        if (first instanceof IOException io) {
            throw io;
        }
        if (first instanceof RuntimeException runtime) {
            throw runtime; // a cancelled run, reported from a worker's progress
        }
        if (first instanceof Error error) {
            throw error;
        }
        if (first != null) {
            throw new IOException(first);
        }
    }
}
