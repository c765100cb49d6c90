package orchestrate.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Map;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;

/**
 * An exec request run as {@code /bin/sh -c COMMAND}, the way sshd runs it through the login
 * shell (MINA's own process factory splits on spaces, which breaks pipes and quotes).
 */
final class ShellCommand implements Command {

    private final String command;
    private final Path home;
    private final Map<String, String> variables;
    private InputStream in;
    private OutputStream out;
    private OutputStream err;
    private ExitCallback exit;
    private Process process;

    ShellCommand(String command, Path home, Map<String, String> environment) {
        this.command = command;
        this.home = home;
        this.variables = environment;
    }

    @Override
    public void setInputStream(InputStream in) {
        this.in = in;
    }

    @Override
    public void setOutputStream(OutputStream out) {
        this.out = out;
    }

    @Override
    public void setErrorStream(OutputStream err) {
        this.err = err;
    }

    @Override
    public void setExitCallback(ExitCallback callback) {
        this.exit = callback;
    }

    @Override
    public void start(ChannelSession channel, Environment environment) throws IOException {
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", command).directory(home.toFile());
        builder.environment().put("HOME", home.toString());
        builder.environment().putAll(variables);
        process = builder.start();
        pump(in, process.getOutputStream(), true);
        Thread stdout = pump(process.getInputStream(), out, false);
        Thread stderr = pump(process.getErrorStream(), err, false);
        Thread waiter = new Thread(() -> {
            try {
                int status = process.waitFor();
                stdout.join();
                stderr.join();
                exit.onExit(status);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "demo-exec-wait");
        waiter.setDaemon(true);
        waiter.start();
    }

    private static Thread pump(InputStream from, OutputStream to, boolean closeTarget) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try {
                for (int n; (n = from.read(buffer)) > 0; ) {
                    to.write(buffer, 0, n);
                    to.flush();
                }
            } catch (IOException e) {
                // the channel or the process went away
            } finally {
                if (closeTarget) {
                    try {
                        to.close();
                    } catch (IOException e) {
                        // already closed
                    }
                }
            }
        }, "demo-exec-pump");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    @Override
    public void destroy(ChannelSession channel) {
        // Only the shell: an agent it started detached lives on, as on a real box.
        if (process != null && process.isAlive()) {
            process.destroy();
        }
    }
}
