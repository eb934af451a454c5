package dev.parapet.runtime.upstream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A forward proxy on loopback for the egress tests, as Squid would be for CONNECT (RFC 9110
 * §9.3.6): it records each request line and Proxy-Authorization header, then, by its {@link Mode},
 * opens the tunnel to 127.0.0.1 at the CONNECT's port whatever the host name (so a test origin
 * such as {@code other.example} needs no DNS), or refuses, resets, hangs, or answers garbage.
 * Plain blocking sockets, two threads per tunnel. Public for the production-pipeline tests.
 */
public final class ConnectProxy implements AutoCloseable {
  /** In every refusal this proxy writes (headers and body): must never reach a caller. */
  public static final String MARKER = "PROXY-ANSWER-MARKER-7f3a";

  /**
   * {@code ECHO_407} refuses as {@code REFUSE_407} does, its status line's reason phrase and a
   * header echoing the Proxy-Authorization it received, encoded and decoded (a proxy that quotes
   * what it refused): those bytes must reach no caller and no log line.
   */
  public enum Mode { TUNNEL, REFUSE_407, ECHO_407, RESET, HANG, GARBAGE }

  public record Connect(String requestLine, String proxyAuthorization) {}

  public final BlockingQueue<Connect> connects = new LinkedBlockingQueue<>();
  public final AtomicInteger connections = new AtomicInteger();
  public final List<Throwable> errors = new CopyOnWriteArrayList<>();
  private final ServerSocket server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile Mode mode;
  /** How long {@code TUNNEL} takes to answer a CONNECT (a slow proxy); 0 by default. */
  public volatile long answerDelayMillis;

  public ConnectProxy(Mode mode) throws IOException {
    this.mode = mode;
    this.server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "connect-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  public void mode(Mode mode) {
    this.mode = mode;
  }

  public int port() {
    return server.getLocalPort();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        sockets.add(s);
        connections.incrementAndGet();
        start(() -> serve(s), "connect-proxy-conn");
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void start(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  private void serve(Socket client) {
    try {
      InputStream in = client.getInputStream();
      OutputStream out = client.getOutputStream();
      String head = readHead(in);
      String[] lines = head.split("\r\n");
      String auth = null;
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0 && lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("proxy-authorization")) {
          auth = lines[i].substring(colon + 1).trim();
        }
      }
      connects.add(new Connect(lines[0], auth));
      switch (mode) {
        case TUNNEL -> tunnel(client, lines[0]);
        case REFUSE_407 -> {
          String body = "<html>access denied by policy " + MARKER + "</html>";
          out.write(("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"" + MARKER
              + "\"\r\nX-Squid-Error: ERR_CACHE_ACCESS_DENIED " + MARKER + "\r\nContent-Type: text/html\r\nContent-Length: "
              + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
          out.flush();
          client.close();
        }
        case ECHO_407 -> {
          String echoed = auth + " = " + new String(java.util.Base64.getDecoder().decode(
              auth.substring(auth.indexOf(' ') + 1)), StandardCharsets.UTF_8) + " " + MARKER;
          out.write(("HTTP/1.1 407 denied " + echoed + "\r\nX-Echo: " + echoed
              + "\r\nContent-Length: 0\r\n\r\n").getBytes(StandardCharsets.UTF_8));
          out.flush();
          client.close();
        }
        case RESET -> {
          client.setSoLinger(true, 0);
          client.close();
        }
        case HANG -> {
          while (in.read() != -1) {
            // until the gateway gives up and closes
          }
          client.close();
        }
        case GARBAGE -> {
          out.write(("\u0000\u0001SSH-2.0-" + MARKER + "\r\nnot http\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
          out.flush();
          client.close();
        }
        default -> throw new IllegalStateException(mode.toString());
      }
    } catch (IOException e) {
      closeQuietly(client);
    } catch (RuntimeException e) {
      errors.add(e);
      closeQuietly(client);
    }
  }

  /** CONNECT host:port: a 200, then bytes both ways until either side closes. */
  private void tunnel(Socket client, String requestLine) throws IOException {
    String[] parts = requestLine.split(" ");
    if (parts.length != 3 || !parts[0].equals("CONNECT")) {
      throw new IllegalStateException("not a CONNECT: " + requestLine);
    }
    int port = Integer.parseInt(parts[1].substring(parts[1].lastIndexOf(':') + 1));
    Socket origin = new Socket(InetAddress.getLoopbackAddress(), port);
    sockets.add(origin);
    if (answerDelayMillis > 0) {
      try {
        Thread.sleep(answerDelayMillis); // the slowness under test, not synchronisation
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
    }
    client.getOutputStream().write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    client.getOutputStream().flush();
    start(() -> pump(origin, client), "connect-proxy-down");
    pump(client, origin);
  }

  private static void pump(Socket from, Socket to) {
    byte[] buf = new byte[8192];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      for (int n; (n = in.read(buf)) != -1; ) {
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // either side gone: close both
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b == -1 || head.size() > 16 * 1024) {
        throw new IOException("no request head");
      }
      head.write(b);
      matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      closeQuietly(s);
    }
  }
}
