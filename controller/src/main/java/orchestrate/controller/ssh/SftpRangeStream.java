package orchestrate.controller.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import net.schmizz.concurrent.Promise;
import net.schmizz.sshj.sftp.FileAttributes;
import net.schmizz.sshj.sftp.OpenMode;
import net.schmizz.sshj.sftp.PacketType;
import net.schmizz.sshj.sftp.RemoteFile;
import net.schmizz.sshj.sftp.Response;
import net.schmizz.sshj.sftp.SFTPEngine;
import net.schmizz.sshj.sftp.SFTPException;

/**
 * A byte range of a remote file over SFTP with at most a given number of bytes asked for ahead. sshj's own
 * read-ahead stream asks past the end of its range (one read more for every read near the end, a
 * whole read-ahead of bytes for a range that ends inside the file) and drops every read in flight
 * when a server answers one short; this one asks for exactly the range, asks for what a short
 * answer left out next, keeping the reads already in flight, and asks for no more than that
 * server's largest answer from then on.
 */
final class SftpRangeStream extends InputStream {

    /** A short answer smaller than this says nothing about the server's limit (a file that ended, a pipe). */
    private static final int MIN_READ = 4096;

    private record Asked(long offset, int length, Promise<Response, SFTPException> answer) {}

    private final SFTPEngine engine;
    private final RemoteFile file;
    private final byte[] handle;
    private final long end;
    /** Bytes asked for per read: the caller's start, lowered to what a server answers when it answers less. */
    private int readSize;
    private final LongSupplier depth;
    private final Deque<Asked> asked = new ArrayDeque<>();
    private long askedUpTo;
    private long inFlight;
    private Response current;
    private int currentLeft;
    private boolean ended;

    private SftpRangeStream(SFTPEngine engine, String path, byte[] handle, long offset, long length, int readSize, LongSupplier depth) {
        this.engine = engine;
        this.file = new RemoteFile(engine, path, handle);
        this.handle = handle;
        this.askedUpTo = offset;
        this.end = offset + length;
        this.readSize = readSize;
        this.depth = depth;
    }

    /**
     * Opens {@code path} for reading [offset, offset + length), {@code readSize} bytes at a time with
     * {@code depth} bytes in flight (asked before each read, so a rate limit can share it among streams).
     */
    static SftpRangeStream open(SFTPEngine engine, String path, long offset, long length, int readSize, LongSupplier depth) throws IOException {
        byte[] handle = engine.request(engine.newRequest(PacketType.OPEN).putString(path, engine.getSubsystem().getRemoteCharset())
                        .putUInt32(OpenMode.toMask(EnumSet.of(OpenMode.READ))).putFileAttributes(FileAttributes.EMPTY))
                .retrieve(engine.getTimeoutMs(), TimeUnit.MILLISECONDS).ensurePacketTypeIs(PacketType.HANDLE).readBytes();
        return new SftpRangeStream(engine, path, handle, offset, length, readSize, depth);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] buffer, int from, int count) throws IOException {
        if (count == 0) {
            return 0;
        }
        while (currentLeft == 0) {
            if (ended) {
                return -1;
            }
            next();
        }
        int n = Math.min(count, currentLeft);
        current.readRawBytes(buffer, from, n);
        currentLeft -= n;
        return n;
    }

    /** Keeps the reads in flight up to the depth, then takes the oldest answer. */
    private void next() throws IOException {
        long most = Math.max(readSize, depth.getAsLong());
        while (askedUpTo < end && inFlight < most) {
            ask(askedUpTo, (int) Math.min(readSize, end - askedUpTo), false);
        }
        Asked oldest = asked.poll();
        if (oldest == null) {
            ended = true;
            return;
        }
        inFlight -= oldest.length();
        Response answer = oldest.answer().retrieve(engine.getTimeoutMs(), TimeUnit.MILLISECONDS);
        if (answer.getType() == PacketType.STATUS) {
            answer.ensureStatusIs(Response.StatusCode.EOF); // anything but the end of the file is an error
            ended = true; // the file is shorter than the range: the caller sees it end early
            return;
        }
        answer.ensurePacketTypeIs(PacketType.DATA);
        int got = answer.readUInt32AsInt();
        if (got < oldest.length()) {
            ask(oldest.offset() + got, oldest.length() - got, true); // what the server left out comes next
            if (got >= MIN_READ) {
                readSize = Math.min(readSize, got); // the server's largest read: ask no more from now on
            }
        }
        current = answer;
        currentLeft = got;
    }

    private void ask(long offset, int length, boolean first) throws IOException {
        Promise<Response, SFTPException> answer = engine.request(engine.newRequest(PacketType.READ).putString(handle).putUInt64(offset).putUInt32(length));
        Asked read = new Asked(offset, length, answer);
        if (first) {
            asked.addFirst(read);
        } else {
            asked.addLast(read);
            askedUpTo = offset + length;
        }
        inFlight += length;
    }

    @Override
    public void close() throws IOException {
        asked.clear(); // their answers arrive and are dropped; the server handles the close after them
        file.close();
    }
}
