package orchestrate.controller.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.EnumSet;
import net.schmizz.sshj.sftp.FileAttributes;
import net.schmizz.sshj.sftp.FileMode;
import net.schmizz.sshj.sftp.OpenMode;
import net.schmizz.sshj.sftp.RemoteFile;
import net.schmizz.sshj.sftp.SFTPClient;
import net.schmizz.sshj.sftp.SFTPException;

/** Files over the SFTP subsystem. */
final class SftpFiles implements RemoteFiles {

    /**
     * Bytes asked for per SFTP read at first: OpenSSH serves 64 KiB whole, and half the requests for
     * the same bytes went faster on loopback (BENCHMARKS.md); a server that answers less (MINA) is
     * asked for less from then on.
     */
    private static final int READ_SIZE = 64 * 1024;
    /** Bytes in flight when streaming a file at full depth: 16 MiB, so 100 ms round trips still carry 160 MB/s. */
    private static final long FULL_DEPTH = 16L << 20;
    /** Unconfirmed SFTP writes; more than the server's channel window holds stalls the upload. */
    private static final int WRITES_IN_FLIGHT = 16;
    private static final int WRITE_CHUNK = 32 * 1024;

    private final SFTPClient sftp;

    SftpFiles(SFTPClient sftp) {
        this.sftp = sftp;
    }

    @Override
    public String name() {
        return "SFTP";
    }

    @Override
    public synchronized long size(String path) throws IOException {
        FileAttributes attributes = sftp.statExistence(path);
        return attributes == null ? -1 : attributes.getSize();
    }

    @Override
    public synchronized byte[] read(String path, long offset, int max) throws IOException {
        try (RemoteFile file = sftp.open(path, EnumSet.of(OpenMode.READ))) {
            byte[] buffer = new byte[max];
            int filled = 0;
            while (filled < max) {
                int n = file.read(offset + filled, buffer, filled, max - filled);
                if (n <= 0) {
                    break;
                }
                filled += n;
            }
            return filled == max ? buffer : java.util.Arrays.copyOf(buffer, filled);
        }
    }

    @Override
    public InputStream open(String path, long offset, long length, java.util.function.LongSupplier ahead) throws IOException {
        return SftpRangeStream.open(sftp.getSFTPEngine(), path, offset, length, READ_SIZE, () -> Math.min(FULL_DEPTH, ahead.getAsLong()));
    }

    @Override
    public synchronized void create(byte[] content, String path) throws IOException {
        makeDirectories(path.substring(0, path.lastIndexOf('/')));
        write(content, path);
    }

    /**
     * Writes a new remote file. Closed by hand: on a dropped connection sshj throws the same
     * exception from write and close, which try-with-resources cannot suppress into itself.
     */
    private void write(byte[] content, String path) throws IOException {
        RemoteFile file = sftp.open(path, EnumSet.of(OpenMode.WRITE, OpenMode.CREAT, OpenMode.EXCL));
        OutputStream out = null;
        boolean written = false;
        try {
            out = file.new RemoteFileOutputStream(0, WRITES_IN_FLIGHT);
            // One write per SFTP packet: sshj sends a write() as a single request, and a request
            // larger than the channel window never goes out (sshj issue #715).
            for (int offset = 0; offset < content.length; offset += WRITE_CHUNK) {
                out.write(content, offset, Math.min(WRITE_CHUNK, content.length - offset));
            }
            out.close();
            file.close(); // the server may refuse the close (a full disk): that is a failed upload
            written = true;
        } finally {
            if (!written) {
                closeQuietly(out);
                closeQuietly(file);
            }
        }
    }

    /** Closes what a failure left open; the failure itself is what is reported. */
    private static void closeQuietly(java.io.Closeable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (IOException | RuntimeException alreadyFailing) {
            // the first failure is the one that matters
        }
    }

    /** mkdir -p over SFTP, where another controller may be making the same directories at the same moment. */
    private void makeDirectories(String directory) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                sftp.mkdirs(directory);
                return;
            } catch (SFTPException e) {
                FileAttributes made = sftp.statExistence(directory);
                if (made != null && made.getType() == FileMode.Type.DIRECTORY) {
                    return;
                }
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }
}
