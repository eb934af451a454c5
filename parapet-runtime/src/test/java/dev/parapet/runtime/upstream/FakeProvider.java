package dev.parapet.runtime.upstream;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ServerSocketFactory;

/**
 * A provider on loopback that records what it received, byte for byte, and answers with a script.
 * Plain blocking sockets, one thread per connection, so a script can pause between writes, read
 * until the gateway hangs up, or block on a full socket buffer (how backpressure shows). Public
 * for the hardening tests, which drive it through the production pipeline.
 */
public final class FakeProvider implements AutoCloseable {
  public record Recorded(int connection, String method, String target, Map<String, String> headers, String body) {}

  /** Answers one request; may write anything, block, or throw to drop the connection. */
  @FunctionalInterface
  public interface Script {
    void answer(Recorded request, Conn conn) throws Exception;
  }

  /** The provider's end of one connection. */
  public static final class Conn {
    public final InputStream in;
    public final OutputStream out;
    public boolean close;
    private final Socket socket;

    Conn(Socket socket, InputStream in, OutputStream out) {
      this.socket = socket;
      this.in = in;
      this.out = out;
    }

    /** Aborts the connection with a TCP reset (SO_LINGER 0), as a crashing provider would. */
    public void reset() throws IOException {
      socket.setSoLinger(true, 0);
      socket.close();
      close = true;
    }

    /** The connection's socket: a TLS one for a provider made with a TLS server socket factory. */
    public Socket socket() {
      return socket;
    }

    /** Sends each write at once (no Nagle): for scripts that cut an answer into many small writes. */
    public void noDelay() throws IOException {
      socket.setTcpNoDelay(true);
    }

    public void write(String s) throws IOException {
      out.write(s.getBytes(StandardCharsets.UTF_8));
      out.flush();
    }

    public void full(int status, String contentType, String body, String... headers) throws IOException {
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      StringBuilder h = new StringBuilder("HTTP/1.1 " + status + " X\r\ncontent-type: " + contentType
          + "\r\ncontent-length: " + b.length + "\r\n");
      for (String header : headers) {
        h.append(header).append("\r\n");
      }
      out.write(h.append("\r\n").toString().getBytes(StandardCharsets.UTF_8));
      out.write(b);
      out.flush();
    }

    public void sseHead(String... headers) throws IOException {
      StringBuilder h = new StringBuilder("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n");
      for (String header : headers) {
        h.append(header).append("\r\n");
      }
      write(h.append("\r\n").toString());
    }

    public void chunk(String data) throws IOException {
      byte[] b = data.getBytes(StandardCharsets.UTF_8);
      out.write((Integer.toHexString(b.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(b);
      out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }

    public void endChunks() throws IOException {
      write("0\r\n\r\n");
    }

    /** Blocks until the gateway closes the connection; true if it did (EOF or reset). */
    public boolean awaitPeerClose() {
      try {
        return in.read() == -1;
      } catch (IOException e) {
        return true;
      }
    }
  }

  public final BlockingQueue<Recorded> received = new LinkedBlockingQueue<>();
  public final AtomicInteger connections = new AtomicInteger();
  /** Connections the gateway closed between requests (EOF where a request line would start). */
  public final AtomicInteger closedBetweenRequests = new AtomicInteger();
  public final List<Throwable> scriptErrors = new CopyOnWriteArrayList<>();
  private final ServerSocket server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile Script script;

  public FakeProvider(Script script) throws IOException {
    this(ServerSocketFactory.getDefault(), script);
  }

  public FakeProvider(ServerSocketFactory factory, Script script) throws IOException {
    this.script = script;
    this.server = factory.createServerSocket(0, 512, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "fake-provider-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public void script(Script script) {
    this.script = script;
  }

  public int port() {
    return server.getLocalPort();
  }

  public URI baseUrl(String scheme, String host) {
    return URI.create(scheme + "://" + host + ":" + port() + "/v1");
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        sockets.add(s);
        int index = connections.incrementAndGet();
        Thread t = new Thread(() -> serve(s, index), "fake-provider-conn-" + index);
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s, int index) {
    try (s) {
      InputStream in = new BufferedInputStream(s.getInputStream());
      Conn conn = new Conn(s, in, s.getOutputStream());
      while (!conn.close) {
        Recorded r = read(index, in);
        if (r == null) {
          closedBetweenRequests.incrementAndGet();
          return;
        }
        received.add(r);
        script.answer(r, conn);
      }
    } catch (Exception e) {
      if (!(e instanceof IOException)) {
        scriptErrors.add(e);
      }
    }
  }

  private static Recorded read(int index, InputStream in) throws IOException {
    String requestLine = line(in);
    if (requestLine == null) {
      return null;
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
      int colon = l.indexOf(':');
      String name = l.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      headers.merge(name, l.substring(colon + 1).trim(), (a, b) -> a + ", " + b);
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    byte[] body = in.readNBytes(length);
    String[] parts = requestLine.split(" ");
    return new Recorded(index, parts[0], parts[1], headers, new String(body, StandardCharsets.UTF_8));
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }

  public List<Recorded> drain() {
    List<Recorded> out = new ArrayList<>();
    received.drainTo(out);
    return out;
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
