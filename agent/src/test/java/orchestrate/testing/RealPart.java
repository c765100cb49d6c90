package orchestrate.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Tests talk to real things (an OpenSSH server, a small real disk); where one is missing a test
 * cannot prove anything. On a developer's machine it is then skipped with the reason; in CI
 * ({@code CI} set, as every CI service sets it) it fails with the reason, because there
 * {@code .ci/run} installs what the suite needs and a skip would hide a test that never ran.
 */
public final class RealPart {

    private RealPart() {}

    public static void require(boolean available, String missing) {
        if (available) {
            return;
        }
        if (inCi()) {
            Assertions.fail(missing + " (CI is set: a test that cannot run its real part fails instead of skipping)");
        }
        Assumptions.abort("skipped: " + missing);
    }

    static boolean inCi() {
        String ci = System.getenv("CI");
        return ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false") && !ci.equals("0");
    }
}
