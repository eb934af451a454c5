package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.testing.RawHttp.Response;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/1.0 callers over the production pipeline (ApacheBench, old proxies, health checkers): a
 * kept-alive connection is told so, and a streamed answer goes without chunked transfer coding,
 * which HTTP/1.0 does not know, ended by the close (RFC 9112 §6.1, §6.3, §C.2.2).
 */
class Http10CallersTest {
  private static final String ASK = "{\"messages\":[{\"role\":\"user\",\"content\":\"hello, parapet\"}]}";
  private static final String STREAM_ASK =
      "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hello, parapet\"}]}";
  @TempDir static Path tmp;
  private static ProductionStack stack;

  @BeforeAll
  static void start() throws Exception {
    stack = ProductionStack.builder(tmp.resolve("data")).echoRoute("demo").start();
  }

  @AfterAll
  static void stop() throws Exception {
    stack.close();
    LeakWatch.assertNoLeaks();
  }

  private static String post(String version, String connection, String body) {
    return "POST /routes/demo " + version + "\r\nAuthorization: Bearer " + stack.token + "\r\n"
        + (connection == null ? "" : "Connection: " + connection + "\r\n")
        + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
  }

  @Test
  void aKeptAliveConnectionIsToldSoAndServesTheNextCall() throws Exception {
    try (RawHttp c = new RawHttp(stack.port)) {
      Response health = c.send("GET /_parapet/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
      assertEquals(200, health.status());
      assertEquals("keep-alive", health.header("connection"));

      Response first = c.send(post("HTTP/1.0", "keep-alive", ASK)).read();
      assertEquals(200, first.status(), first.body());
      assertEquals("keep-alive", first.header("connection"));
      assertTrue(first.body().contains("hello, parapet"), first.body());

      Response refused = c.send(post("HTTP/1.0", "keep-alive", "not json")).read();
      assertEquals(400, refused.status(), refused.body());
      assertEquals("keep-alive", refused.header("connection"));

      Response last = c.send(post("HTTP/1.0", null, ASK)).read();
      assertEquals(200, last.status());
      assertEquals("close", last.header("connection"), "HTTP/1.0 without keep-alive: one call");
      assertTrue(c.closedByServer());
    }
  }

  @Test
  void aStreamGoesUnchunkedAndEndsWithTheConnection() throws Exception {
    for (String connection : new String[] {null, "keep-alive"}) {
      try (Socket s = new Socket("127.0.0.1", stack.port)) {
        s.setSoTimeout(20_000);
        s.getOutputStream().write(post("HTTP/1.0", connection, STREAM_ASK).getBytes(StandardCharsets.UTF_8));
        String all = readToEnd(s.getInputStream()); // returns only once the server closed
        int split = all.indexOf("\r\n\r\n");
        String head = all.substring(0, split).toLowerCase(java.util.Locale.ROOT);
        String body = all.substring(split + 4);
        assertTrue(head.startsWith("http/1.1 200"), head);
        assertTrue(head.contains("content-type: text/event-stream"), head);
        assertFalse(head.contains("transfer-encoding"), head);
        assertTrue(head.contains("connection: close"), head);
        assertTrue(body.startsWith("data: {\""), body);
        assertTrue(body.contains("\"content\":\" parapet\""), body);
        assertTrue(body.endsWith("\n\ndata: [DONE]\n\n"), "no chunk framing around the events: " + body);
      }
    }
  }

  @Test
  void anHttp11StreamStaysChunked() throws Exception {
    try (RawHttp c = new RawHttp(stack.port)) {
      Response r = c.send(post("HTTP/1.1", null, STREAM_ASK).replace("\r\nAuthorization", "\r\nHost: p\r\nAuthorization"))
          .read();
      assertEquals(200, r.status());
      assertEquals("chunked", r.header("transfer-encoding"));
      assertNull(r.header("connection"));
      assertTrue(r.body().endsWith("\n\ndata: [DONE]\n\n"), "a whole stream, de-chunked: " + r.body());
    }
  }

  private static String readToEnd(InputStream in) throws java.io.IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    in.transferTo(all);
    return all.toString(StandardCharsets.UTF_8);
  }
}
