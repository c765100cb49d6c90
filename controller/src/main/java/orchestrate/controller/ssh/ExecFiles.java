package orchestrate.controller.ssh;

import static orchestrate.controller.ssh.Shell.quote;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.connection.channel.direct.Session;

/**
 * Files through exec channels, for a box whose sshd offers no SFTP (OpenSSH without a {@code
 * Subsystem} line): what scp does, with POSIX tools. A range is {@code tail -c +N | head -c L}
 * streamed over the channel, so a transfer resumes from any offset; a new file is {@code cat}
 * into a name that must not exist yet.
 */
final class ExecFiles implements RemoteFiles {

    private final SSHClient client;
    private final String box;

    ExecFiles(SSHClient client, String box) {
        this.client = client;
        this.box = box;
    }

    @Override
    public String name() {
        return "ssh exec streams (the box offers no SFTP)";
    }

    @Override
    public long size(String path) throws IOException {
        Output output = run("if [ -f " + quote(path) + " ]; then wc -c < " + quote(path) + "; else echo -1; fi", null);
        try {
            return Long.parseLong(output.text().strip());
        } catch (NumberFormatException e) {
            throw new IOException("cannot read the size of " + path + " on " + box + ": " + output.text().strip() + output.err().strip());
        }
    }

    @Override
    public byte[] read(String path, long offset, int max) throws IOException {
        return run(range(path, offset, max), null).out();
    }

    @Override
    public InputStream open(String path, long offset, long length, java.util.function.LongSupplier ahead) throws IOException {
        // The read-ahead cannot be bounded here: sshj gives a channel's window back on every read,
        // however much is still unread, so up to its buffer (16 MiB, measured) arrives ahead of us.
        Session session = client.startSession();
        Session.Command command;
        try {
            command = session.exec(range(path, offset, length));
            StandardInput.send(command, null);
        } catch (IOException | RuntimeException e) {
            session.close();
            throw e;
        }
        return new FilterInputStream(command.getInputStream()) {
            @Override
            public int read(byte[] buffer, int from, int count) throws IOException {
                int n = super.read(buffer, from, count);
                if (n < 0) {
                    failed(command, path); // a range cut short by an error says why, not just where it ended
                }
                return n;
            }

            @Override
            public void close() throws IOException {
                session.close();
            }
        };
    }

    @Override
    public void create(byte[] content, String path) throws IOException {
        String parent = path.substring(0, path.lastIndexOf('/'));
        // noclobber: the name is a new one of our own, and an existing file means something else wrote it
        run("mkdir -p " + quote(parent) + " && set -C && cat > " + quote(path), content);
    }

    /** A range of a file on standard output; an error (no such file) on standard error and a non-zero status. */
    private static String range(String path, long offset, long length) {
        return "[ -f " + quote(path) + " ] || { echo 'no such file' >&2; exit 2; }; tail -c +" + (offset + 1) + " " + quote(path)
                + " | head -c " + length;
    }

    private record Output(byte[] out, String err) {
        String text() {
            return new String(out, StandardCharsets.UTF_8);
        }
    }

    /** Runs a command to its end, with {@code stdin} as its input; a non-zero status is an error naming the command's complaint. */
    private Output run(String line, byte[] stdin) throws IOException {
        try (Session session = client.startSession()) {
            Session.Command command = session.exec(line);
            StandardInput.send(command, stdin);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            command.getInputStream().transferTo(out);
            String err = new String(command.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            command.join(30, TimeUnit.SECONDS);
            Integer status = command.getExitStatus();
            if (status == null || status != 0) {
                throw new IOException(box + ": '" + line + "' failed" + (status == null ? "" : " with status " + status)
                        + (err.isBlank() ? "" : ": " + err.strip()));
            }
            return new Output(out.toByteArray(), err);
        }
    }

    private void failed(Session.Command command, String path) throws IOException {
        command.join(30, TimeUnit.SECONDS);
        Integer status = command.getExitStatus();
        if (status != null && status != 0) {
            String err = new String(command.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            throw new IOException("cannot read " + path + " on " + box + ": " + err);
        }
    }
}
