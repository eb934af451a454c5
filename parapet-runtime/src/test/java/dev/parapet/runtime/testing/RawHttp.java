package dev.parapet.runtime.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A raw-socket HTTP/1.1 client for what java.net.http will not send (smuggling, pipelining).
 *
 * <p>It reads byte by byte, never past the response it was asked for, so pipelined answers and a
 * later {@link #closedByServer()} see exactly what followed. Every read is bounded: a line, a
 * field section, a body ({@value #MAX_BODY} bytes) and the time one whole response may take.
 */
public final class RawHttp implements AutoCloseable {
  /** Above this a body is a runaway answer: the test fails instead of filling the heap. */
  static final int MAX_BODY = 16 << 20;
  private static final int MAX_LINE = 64 << 10;
  private static final int MAX_FIELDS = 256;
  /** One whole response, head to last chunk; each single read also has the socket's timeout. */
  private static final long RESPONSE_DEADLINE_NANOS = 60_000_000_000L;

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

  /**
   * Reads one whole response, its body framed as RFC 9112 §6.3 says and de-chunked. Strict: a
   * connection that ends before the response does, or framing a client must not accept (a bad chunk
   * size, Content-Length beside Transfer-Encoding), is an {@link IOException}, so a test never
   * asserts on half an answer. A 1xx is returned alone; read again for the final response.
   */
  public Response read() throws IOException {
    return read(false);
  }

  /** {@link #read()}, with {@code toHead} true for the answer to a HEAD (no body, RFC 9110 §9.3.2). */
  public Response read(boolean toHead) throws IOException {
    Response r = read(new Deadline(in), toHead, true);
    if (r == null) {
      throw new IOException("connection closed before a response");
    }
    return r;
  }

  /**
   * Only the status line and header fields, the body left unread on the socket: for a stream a test
   * reads on its own or walks away from.
   */
  public Response readHead() throws IOException {
    Response head = head(new Deadline(in));
    if (head == null) {
      throw new IOException("connection closed before a response");
    }
    return head;
  }

  /**
   * One whole response from {@code in}, framed as {@link #read()} frames it, but lenient where a
   * test looks at cut answers: a body cut short is returned as far as it came. Null when the stream
   * ended before a status line.
   */
  public static Response readFramed(InputStream in) throws IOException {
    return read(new Deadline(in), false, false);
  }

  private static Response read(InputStream in, boolean toHead, boolean strict) throws IOException {
    Response head = head(in);
    if (head == null) {
      return null;
    }
    int s = head.status();
    if (toHead || s / 100 == 1 || s == 204 || s == 304) {
      return head;
    }
    List<String> te = head.headers().get("transfer-encoding");
    List<String> cl = head.headers().get("content-length");
    if (te != null) {
      if (strict && cl != null) {
        throw new IOException("both Transfer-Encoding and Content-Length (RFC 9112 §6.1): " + head.headers());
      }
      String[] codings = String.join(",", te).split(",");
      if ("chunked".equalsIgnoreCase(codings[codings.length - 1].trim())) {
        return head.withBody(chunked(in, strict));
      }
      return head.withBody(toClose(in)); // RFC 9112 §6.3 (4): a final coding other than chunked
    }
    if (cl != null) {
      long n = contentLength(cl);
      byte[] body = in.readNBytes((int) n);
      if (strict && body.length < n) {
        throw cutShort("Content-Length " + n, body);
      }
      return head.withBody(body);
    }
    return head.withBody(toClose(in));
  }

  /** RFC 9112 §7.1: chunks with optional extensions (ignored), then trailer fields (dropped). */
  private static byte[] chunked(InputStream in, boolean strict) throws IOException {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    while (true) {
      String sizeLine = line(in);
      if (sizeLine == null) {
        if (strict) {
          throw cutShort("chunked: no last chunk", body.toByteArray());
        }
        return body.toByteArray();
      }
      int semi = sizeLine.indexOf(';');
      String hex = (semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim();
      if (hex.isEmpty() || hex.length() > 8 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
        throw new IOException("bad chunk size line: " + sizeLine);
      }
      long n = Long.parseLong(hex, 16);
      if (n == 0) {
        for (int fields = 0; ; fields++) {
          String t = line(in);
          if (t == null) {
            if (strict) {
              throw cutShort("chunked: trailer section not ended", body.toByteArray());
            }
            break;
          }
          if (t.isEmpty()) {
            break;
          }
          if (fields >= MAX_FIELDS || t.indexOf(':') <= 0) {
            throw new IOException("bad trailer field: " + t);
          }
        }
        return body.toByteArray();
      }
      if (body.size() + n > MAX_BODY) {
        throw new IOException("body over " + MAX_BODY + " bytes");
      }
      byte[] data = in.readNBytes((int) n);
      body.write(data);
      String end = line(in); // the CRLF after the chunk's data
      if (data.length < n || end == null) {
        if (strict) {
          throw cutShort("chunked: a chunk of " + n, body.toByteArray());
        }
        return body.toByteArray();
      }
      if (!end.isEmpty()) {
        throw new IOException("chunk of " + n + " bytes not followed by CRLF: " + end);
      }
    }
  }

  /** A close-delimited body (RFC 9112 §6.3 (8)), bounded. */
  private static byte[] toClose(InputStream in) throws IOException {
    byte[] body = in.readNBytes(MAX_BODY + 1);
    if (body.length > MAX_BODY) {
      throw new IOException("body over " + MAX_BODY + " bytes");
    }
    return body;
  }

  /** RFC 9110 §8.6: digits only; a repeated field must repeat one value. */
  private static long contentLength(List<String> values) throws IOException {
    long n = -1;
    for (String v : String.join(",", values).split(",")) {
      String d = v.trim();
      if (d.isEmpty() || d.length() > 10 || !d.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw new IOException("bad Content-Length: " + values);
      }
      long m = Long.parseLong(d);
      if (n >= 0 && m != n) {
        throw new IOException("conflicting Content-Length: " + values);
      }
      n = m;
    }
    if (n > MAX_BODY) {
      throw new IOException("Content-Length " + n + " over " + MAX_BODY + " bytes");
    }
    return n;
  }

  private static IOException cutShort(String framing, byte[] got) {
    String s = new String(got, StandardCharsets.UTF_8);
    return new IOException("connection closed mid-body (" + framing + "), after " + got.length + " bytes: "
        + (s.length() > 300 ? s.substring(0, 300) + "…" : s));
  }

  /** A status line and header fields, body empty; null when the stream ended before a status line. */
  private static Response head(InputStream in) throws IOException {
    String statusLine = line(in);
    if (statusLine == null) {
      return null;
    }
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/") || !parts[1].matches("[1-9][0-9]{2}")) {
      throw new IOException("bad status line: " + statusLine);
    }
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (int fields = 0; ; fields++) {
      String l = line(in);
      if (l == null) {
        throw new IOException("connection closed inside the header fields of: " + statusLine);
      }
      if (l.isEmpty()) {
        break;
      }
      int c = l.indexOf(':');
      if (fields >= MAX_FIELDS || c <= 0) {
        throw new IOException("bad header field: " + l);
      }
      headers.computeIfAbsent(l.substring(0, c).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(l.substring(c + 1).trim());
    }
    return new Response(Integer.parseInt(parts[1]), headers, "");
  }

  /** True when the server closed the connection (EOF) within the socket timeout. */
  public boolean closedByServer() {
    try {
      return in.read() == -1;
    } catch (IOException e) {
      return e.getMessage() != null && e.getMessage().contains("reset");
    }
  }

  /**
   * Reads {@code in} (as UTF-8) until {@code marker} is among what was read, framing and all: a raw
   * look at a stream under way. All read so far; an {@link IOException} if the connection closes
   * first.
   */
  public static String readUntil(InputStream in, String marker) throws IOException {
    StringBuilder got = new StringBuilder();
    byte[] buf = new byte[4096];
    while (got.indexOf(marker) < 0) {
      int n = in.read(buf);
      if (n < 0) {
        throw new IOException("closed before " + marker + ": " + got);
      }
      got.append(new String(buf, 0, n, StandardCharsets.UTF_8));
    }
    return got.toString();
  }

  /**
   * One line of an HTTP head, its CRLF or LF taken off; null at the end of the stream with nothing
   * read. A line over 64 KiB is an {@link IOException}.
   */
  public static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      if (b.size() >= MAX_LINE) {
        throw new IOException("a line over " + MAX_LINE + " bytes");
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }

  /** The stream one response is read from, failing once the response has taken too long in all. */
  private static final class Deadline extends InputStream {
    private final InputStream in;
    private final long deadline = System.nanoTime() + RESPONSE_DEADLINE_NANOS;

    Deadline(InputStream in) {
      this.in = in;
    }

    private void check() throws SocketTimeoutException {
      if (System.nanoTime() - deadline > 0) {
        throw new SocketTimeoutException("no whole response within " + RESPONSE_DEADLINE_NANOS / 1_000_000_000 + " s");
      }
    }

    @Override
    public int read() throws IOException {
      check();
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      check();
      return in.read(b, off, len);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
