package orchestrate.controller.cli;

import orchestrate.controller.Laptop;
import java.io.IOException;

/** While following a run, Ctrl-C only detaches: the agent keeps working, and this says how to come back. */
final class Detach {

    @FunctionalInterface
    interface Following {
        int run() throws IOException;
    }

    private Detach() {}

    static int hintOnInterrupt(Laptop laptop, String runId, Following following) throws IOException {
        Thread hint = new Thread(() -> laptop.err().println("\ndetached from " + runId
                + ": the agent keeps running. Follow it again with: orchestrate attach " + runId));
        Runtime.getRuntime().addShutdownHook(hint);
        try {
            return following.run();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hint);
            } catch (IllegalStateException e) {
                // already shutting down: let the hint print
            }
        }
    }
}
