package dev.parapet.runtime.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A raw-socket HTTP/1.1 client for what java.net.http will not send (smuggling, pipelining). */
public final class RawHttp implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;

  /** One response: its status, its header fields by lower-cased name (in order), its body as UTF-8. */
  public record Response(int status, Map<String, List<String>> headers, String body) {
    public String header(String name) {
      List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
      return v == null ? null : v.get(0);
    }

    private Response withBody(byte[] bytes) {
      return new Response(status, headers, new String(bytes, StandardCharsets.UTF_8));
    }
  }

  public RawHttp(int port) throws IOException {
    this(new Socket("127.0.0.1", port));
  }

  /** Over a socket the caller connected (for example from another local address). */
  public RawHttp(Socket connected) throws IOException {
    socket = connected;
    // Generous: tests assert outcomes, not speed, and a loaded CI machine can be slow.
    socket.setSoTimeout(20_000);
    in = socket.getInputStream();
  }

  public RawHttp send(String raw) throws IOException {
    socket.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
    socket.getOutputStream().flush();
    return this;
  }

  public RawHttp send(byte[] raw) throws IOException {
    socket.getOutputStream().write(raw);
    socket.getOutputStream().flush();
    return this;
  }

  public Response read() throws IOException {
    return read(false);
  }

  /** Reads one response; {@code bodyless} for the answer to a HEAD (RFC 9110 §9.3.2). */
  public Response read(boolean bodyless) throws IOException {
    Response head = head(in);
    if (head == null) {
      throw new IOException("connection closed before a response");
    }
    String cl = head.header("content-length");
    return head.withBody(in.readNBytes(cl == null || bodyless ? 0 : Integer.parseInt(cl)));
  }

  /**
   * One whole response from {@code in}, its body framed as RFC 9112 §6.3 says: by Content-Length,
   * else chunked (de-chunked here, trailer fields dropped), else up to the server's close. Null when
   * the stream ended before a status line. A body cut short is returned as far as it came.
   */
  public static Response readFramed(InputStream in) throws IOException {
    Response head = head(in);
    if (head == null) {
      return null;
    }
    String cl = head.header("content-length");
    if (cl != null) {
      return head.withBody(in.readNBytes(Integer.parseInt(cl)));
    }
    if (!"chunked".equalsIgnoreCase(head.header("transfer-encoding"))) {
      return head.withBody(in.readAllBytes());
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (String size = line(in); size != null; size = line(in)) {
      int n = Integer.parseInt(size.trim(), 16);
      if (n == 0) {
        for (String t = line(in); t != null && !t.isEmpty(); t = line(in)) {
          // trailer fields, if any, up to the empty line
        }
        break;
      }
      body.write(in.readNBytes(n));
      line(in); // the CRLF after the chunk's data
    }
    return head.withBody(body.toByteArray());
  }

  /** A status line and header fields, body empty; null when the stream ended before a status line. */
  private static Response head(InputStream in) throws IOException {
    String statusLine = line(in);
    if (statusLine == null) {
      return null;
    }
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    Map<String, List<String>> headers = new LinkedHashMap<>();
    String l;
    while ((l = line(in)) != null && !l.isEmpty()) {
      int c = l.indexOf(':');
      headers.computeIfAbsent(l.substring(0, c).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(l.substring(c + 1).trim());
    }
    return new Response(status, headers, "");
  }

  /** True when the server closed the connection (EOF) within the socket timeout. */
  public boolean closedByServer() {
    try {
      return in.read() == -1;
    } catch (IOException e) {
      return e.getMessage() != null && e.getMessage().contains("reset");
    }
  }

  /** One line of an HTTP head, its CRLF or LF taken off; null at the end of the stream with nothing read. */
  public static String line(InputStream in) throws IOException {
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

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
