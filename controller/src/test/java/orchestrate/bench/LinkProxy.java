package orchestrate.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A long, thin link in user space (this kernel has no netem): a TCP proxy on 127.0.0.1 in front of a
 * port, which paces each direction at a rate shared by every connection through it (bytes leave one
 * after another, as on the one bottleneck) and delivers every chunk a one-way delay after it left,
 * holding at most a bounded number of bytes in flight per direction (senders are back-pressured
 * beyond it). Loopback only.
 */
final class LinkProxy implements AutoCloseable {

    private final ServerSocket server;
    private final int target;
    private final long delayNanos;
    private final double bytesPerNano;
    private final long inFlight;
    private final List<Socket> sockets = new ArrayList<>();
    private final Thread acceptor;
    private final Line down = new Line();
    private final Line up = new Line();

    /** One direction of the bottleneck, shared by every connection: when the next byte may leave, and what is in flight. */
    private final class Line {
        private long lastDeparture;
        private long queued;
        private long carried;

        /** Waits for room, then says when {@code bytes} arriving now are delivered. */
        synchronized long send(int bytes) throws InterruptedException {
            while (queued + bytes > inFlight) {
                wait();
            }
            queued += bytes;
            carried += bytes;
            lastDeparture = Math.max(System.nanoTime(), lastDeparture) + (long) (bytes / bytesPerNano);
            return lastDeparture + delayNanos;
        }

        synchronized void delivered(int bytes) {
            queued -= bytes;
            notifyAll();
        }
    }

    /** @param oneWayMillis half the round trip; {@code megabitsPerSecond} the rate of each direction */
    LinkProxy(int target, long oneWayMillis, double megabitsPerSecond) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.target = target;
        this.delayNanos = oneWayMillis * 1_000_000L;
        this.bytesPerNano = megabitsPerSecond * 1e6 / 8 / 1e9;
        // twice the bandwidth-delay product of the whole round trip: the link itself never limits the window
        this.inFlight = Math.max(1L << 20, (long) (4 * bytesPerNano * delayNanos));
        this.acceptor = new Thread(this::accept, "link proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Bytes carried from the server to the client so far, by every connection. */
    long downstreamBytes() {
        synchronized (down) {
            return down.carried;
        }
    }

    private void accept() {
        try {
            while (!server.isClosed()) {
                Socket client = server.accept();
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                synchronized (sockets) {
                    sockets.add(client);
                    sockets.add(upstream);
                }
                new Direction(client.getInputStream(), upstream.getOutputStream(), up).start();
                new Direction(upstream.getInputStream(), client.getOutputStream(), down).start();
            }
        } catch (IOException closed) {
            // the proxy was closed
        }
    }

    /** One direction of one connection: a reader that stamps chunks, a writer that paces and delays them. */
    private final class Direction {
        private record Chunk(byte[] bytes, int length, long deliverAt) {}

        private final InputStream in;
        private final OutputStream out;
        private final Line line;
        private final ArrayDeque<Chunk> queue = new ArrayDeque<>();
        private boolean ended;

        Direction(InputStream in, OutputStream out, Line line) {
            this.in = in;
            this.out = out;
            this.line = line;
        }

        void start() {
            Thread reader = new Thread(this::read, "link in");
            Thread writer = new Thread(this::write, "link out");
            reader.setDaemon(true);
            writer.setDaemon(true);
            reader.start();
            writer.start();
        }

        private void read() {
            try {
                while (true) {
                    byte[] buffer = new byte[64 << 10];
                    int n = in.read(buffer);
                    if (n < 0) {
                        break;
                    }
                    long deliverAt = line.send(n);
                    boolean writerGone;
                    synchronized (this) {
                        writerGone = ended;
                        if (!writerGone) {
                            queue.add(new Chunk(buffer, n, deliverAt));
                            notifyAll();
                        }
                    }
                    if (writerGone) {
                        line.delivered(n); // the chunk goes nowhere, and gives its room back
                        break;
                    }
                }
            } catch (IOException | InterruptedException e) {
                // the connection closed
            }
            synchronized (this) {
                ended = true;
                notifyAll();
            }
        }

        private void write() {
            try {
                while (true) {
                    Chunk chunk;
                    synchronized (this) {
                        while (queue.isEmpty() && !ended) {
                            wait();
                        }
                        if (queue.isEmpty()) {
                            break;
                        }
                        chunk = queue.peek();
                    }
                    for (long wait = chunk.deliverAt() - System.nanoTime(); wait > 0; wait = chunk.deliverAt() - System.nanoTime()) {
                        LockSupport.parkNanos(wait);
                    }
                    out.write(chunk.bytes(), 0, chunk.length());
                    out.flush();
                    synchronized (this) {
                        queue.poll();
                    }
                    line.delivered(chunk.length());
                }
                out.close();
            } catch (IOException | InterruptedException e) {
                // the connection closed
            } finally {
                release();
            }
        }

        /** A closed connection's undelivered chunks leave the line, or they would hold its room from every other connection. */
        private void release() {
            long left = 0;
            synchronized (this) {
                ended = true;
                for (Chunk chunk : queue) {
                    left += chunk.length();
                }
                queue.clear();
            }
            line.delivered((int) left);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        synchronized (sockets) {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }
}
