package orchestrate.controller.ssh;

import java.io.IOException;
import java.io.OutputStream;
import net.schmizz.sshj.connection.channel.direct.Session;

/** A command's standard input on the box: written whole, then closed. */
final class StandardInput {

    private StandardInput() {}

    /**
     * Writes {@code bytes} (nothing when null) and sends end of file. Flushed first: sshj's close()
     * drops what the box's window has no room for yet, where flush() waits for room.
     */
    static void send(Session.Command command, byte[] bytes) throws IOException {
        try (OutputStream in = command.getOutputStream()) {
            if (bytes != null) {
                in.write(bytes);
                in.flush();
            }
        }
    }
}
