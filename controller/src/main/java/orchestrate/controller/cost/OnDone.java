package orchestrate.controller.cost;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import orchestrate.controller.ExitException;
import orchestrate.controller.Laptop;
import orchestrate.controller.console.Format;

/**
 * What happens once the verdict says the box may go, and only then: {@code notify} (the verdict and
 * a terminal bell), {@code stop} or {@code destroy} the vast.ai instance. Destroying asks first,
 * unless {@code --yes}; without a terminal to ask on it needs {@code --yes}.
 */
public final class OnDone {

    public enum Action { NOTIFY, STOP, DESTROY }

    private final Action action;
    private final String instance;
    private final VastApi vast;
    private final Laptop laptop;
    private final boolean yes;

    public OnDone(Action action, String instance, VastApi vast, Laptop laptop, boolean yes) {
        this.action = action;
        this.instance = instance;
        this.vast = vast;
        this.laptop = laptop;
        this.yes = yes;
    }

    public static Action parse(String name) {
        try {
            return Action.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ExitException(ExitException.USAGE, "--on-done must be notify, stop or destroy, not '" + name + "'");
        }
    }

    /** Checked before anything runs, so a run does not end with an action that cannot happen. */
    public static void check(Action action, String instance) {
        if (action != Action.NOTIFY && instance == null) {
            throw new ExitException(ExitException.USAGE, "--on-done " + action.name().toLowerCase(Locale.ROOT) + " needs --vast-instance ID (and VAST_API_KEY)");
        }
    }

    /**
     * Called with a safe verdict only.
     *
     * @param storagePerHour what a stopped instance keeps costing, for the message
     * @return a line saying what was done
     */
    public String act(double storagePerHour) throws VastException, IOException {
        switch (action) {
            case STOP -> {
                vast.stop(instance);
                return "stopped vast.ai instance " + instance + "; its disk is still billed" + (storagePerHour > 0 ? " (" + Format.dollars(storagePerHour) + "/h)" : "")
                        + " until you destroy it";
            }
            case DESTROY -> {
                if (!yes && !confirmed()) {
                    return "vast.ai instance " + instance + " was not destroyed" + (laptop.terminal() ? "" : ": --on-done destroy needs --yes without a terminal to confirm on");
                }
                vast.destroy(instance);
                return "destroyed vast.ai instance " + instance + "; nothing more is billed for it";
            }
            default -> {
                if (laptop.terminal()) {
                    laptop.err().print('\007');
                    laptop.err().flush();
                }
                return null;
            }
        }
    }

    private boolean confirmed() throws IOException {
        return ask("Destroy vast.ai instance " + instance + " and everything on its disk?");
    }

    /** A yes/no question on the terminal; no terminal, or no answer, is no. */
    public boolean ask(String question) throws IOException {
        if (!laptop.terminal()) {
            return false;
        }
        laptop.err().print("\r\033[K" + question + " [y/N] ");
        laptop.err().flush();
        String answer = new BufferedReader(new InputStreamReader(laptop.in(), StandardCharsets.UTF_8)).readLine();
        return answer != null && (answer.strip().equalsIgnoreCase("y") || answer.strip().equalsIgnoreCase("yes"));
    }
}
