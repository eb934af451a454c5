package dev.parapet.runtime.accesslog;

import static dev.parapet.runtime.testing.GatewayFixture.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.testing.TestConfigs;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** One access line per request, with the path template, never a token, header or body. */
class AccessLogTest {
  private static final Logger ACCESS = (Logger) LoggerFactory.getLogger("parapet.access");

  private static ListAppender<ILoggingEvent> captureAccessLines() {
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    ACCESS.addAppender(lines);
    return lines;
  }

  @Test
  void oneLinePerRequestWithoutSecrets() throws Exception {
    ListAppender<ILoggingEvent> lines = captureAccessLines();
    String secretPrompt = "my-secret-prompt-4242";
    String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + secretPrompt + "\"}]}";
    try (GatewayFixture fx = new GatewayFixture()) {
      try (RawHttp c = fx.raw()) {
        c.send(post("/routes/summarizer?secret=q", TestConfigs.TOKEN_A, body));
        assertEquals(200, c.read().status());
        c.send(post("/routes/summarizer", "wrong-token-7777", body));
        assertEquals(401, c.read().status());
        c.send(post("/routes/elsewhere", TestConfigs.TOKEN_A, body));
        assertEquals(403, c.read().status());
      }
      try (RawHttp c = fx.raw()) {
        c.send("POST /routes/summarizer HTTP/1.1\r\nHost: p\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");
        assertEquals(400, c.read().status());
      }
      // Lines are written when each request completes, on the connection's own event loop:
      // wait for all four rather than for a fixed time, and do not assume an order between
      // the two connections.
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      while (lines.list.size() < 4 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      Thread.sleep(50); // a fifth line, if one were (wrongly) written, would show up here
    } finally {
      ACCESS.detachAppender(lines);
    }
    List<String> logged = List.copyOf(lines.list).stream().map(ILoggingEvent::getFormattedMessage).toList();
    assertEquals(4, logged.size(), logged.toString());
    assertOne(logged, l -> l.startsWith("POST /routes/{route} 200 code=- route=summarizer service=svc-a"));
    assertOne(logged, l -> l.contains(" 401 code=invalid_token route=- service=-"));
    assertOne(logged, l -> l.contains(" 403 code=route_forbidden route=- service=svc-a"));
    assertOne(logged, l -> l.contains(" 400 code=invalid_request"));
    for (String line : logged) {
      assertTrue(line.matches(".* request_id=[0-9a-f]{32}"), line);
      for (String secret : new String[] {TestConfigs.TOKEN_A, "wrong-token-7777", secretPrompt, "secret=q", "elsewhere"}) {
        assertFalse(line.contains(secret), line);
      }
    }
  }

  /**
   * A head that does not arrive whole in time closes its connection unanswered; it still gets one
   * line, as nginx logs a 408: method and path template when its request line was read, else
   * {@code -}, and no request id (none was sent).
   */
  @Test
  void aHeadTimeoutIsOneLineWithWhatWasRead() throws Exception {
    ListAppender<ILoggingEvent> lines = captureAccessLines();
    try (GatewayFixture fx = new GatewayFixture(s -> s.withTimeouts(60_000, 300, 1000))) {
      try (RawHttp c = fx.raw()) {
        c.send("POST /routes/secret-route-3131?q=1 HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer "
            + TestConfigs.TOKEN_A + "\r\n"); // and no end of the head
        assertTrue(c.closedByServer());
      }
      try (RawHttp c = fx.raw()) {
        c.send("\r\nGET /v1/mod"); // not even the request line
        assertTrue(c.closedByServer());
      }
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      while (lines.list.size() < 2 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
    } finally {
      ACCESS.detachAppender(lines);
    }
    List<String> logged = List.copyOf(lines.list).stream().map(ILoggingEvent::getFormattedMessage).toList();
    assertEquals(2, logged.size(), logged.toString());
    assertOne(logged, l -> l.matches(
        "POST /routes/\\{route} 408 code=- route=- service=- latency_ms=[0-9]+\\.[0-9] request_id=-"));
    assertOne(logged, l -> l.matches("- - 408 code=- route=- service=- latency_ms=[0-9]+\\.[0-9] request_id=-"));
    for (String line : logged) {
      for (String secret : new String[] {TestConfigs.TOKEN_A, "secret-route-3131", "q=1", "/v1/mod"}) {
        assertFalse(line.contains(secret), line);
      }
    }
  }

  private static void assertOne(List<String> logged, java.util.function.Predicate<String> line) {
    assertEquals(1, logged.stream().filter(line).count(), logged.toString());
  }
}
