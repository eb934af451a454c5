package dev.parapet.runtime;

import static dev.parapet.runtime.testing.TestConfigs.TOKEN_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code PARAPET_MIN_BODY_RATE} over real sockets (slow-POST), with the grace shortened to 2 s
 * (5 s in production: not a variable): a body trickled far below the rate is refused 408 {@code
 * request_timeout} long before it would be whole, while its deadline is still far off; the close
 * lingers, so a caller that goes on writing its body reads the answer, then end of stream, not a
 * reset; the body's reservation goes back; one access line and one count.
 */
class BodyRateTest {
  private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final Logger ACCESS = (Logger) LoggerFactory.getLogger("parapet.access");
  private static final int TRICKLE_MS = 100;
  /** Forty blanks at ten a second, then the JSON: whole after 4 s, before the 5 s grace was over. */
  private static final int PIECES = 40;
  @TempDir Path tmp;

  @Test
  void aBodyBelowTheMinimumRateIsRefusedTheCloseLingersAndItsReservationGoesBack() throws Exception {
    LeakWatch.start();
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    ACCESS.addAppender(lines);
    try (TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), URI.create("http://127.0.0.1:9/v1"))) {
      fx.env.put("PARAPET_MIN_BODY_RATE", "1000"); // the body comes at ten bytes a second
      fx.env.put("PARAPET_BODY_TIMEOUT_MS", "60000"); // not what refuses it
      fx.settings = s -> s.withBodyRateGraceMs(2_000);
      fx.boot();
      awaitMetric(fx, "parapet_body_budget_used_bytes", 0); // logged in now: later scrapes are quick
      int length = PIECES + CHAT.length();
      try (RawHttp c = fx.gatewayRaw()) {
        c.send("POST /routes/summarizer HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer " + TOKEN_A
            + "\r\nContent-Type: application/json\r\nContent-Length: " + length + "\r\n\r\n");
        awaitMetric(fx, "parapet_body_budget_used_bytes", length);
        CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
          try {
            for (int i = 0; i < PIECES; i++) {
              c.send(" ");
              Thread.sleep(TRICKLE_MS);
            }
            c.send(CHAT);
          } catch (IOException e) {
            throw new AssertionError("the close reset the connection while the caller was writing", e);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
        awaitMetric(fx, "parapet_refusals_total", "code", "request_timeout", 1.0);
        awaitMetric(fx, "parapet_body_budget_used_bytes", 0);
        // The caller writes the rest of its body, all of it, before it reads: the linger drops it.
        sender.get(10, TimeUnit.SECONDS);
        RawHttp.Response r = c.read();
        assertEquals(408, r.status(), r.body());
        JsonNode error = TelemetryFixture.JSON.readTree(r.body()).path("error");
        assertEquals("parapet_error", error.path("type").asText(), r.body());
        assertEquals("request_timeout", error.path("code").asText(), r.body());
        assertEquals("the request body arrived slower than 1000 bytes per second", error.path("message").asText());
        assertFalse(error.path("request_id").asText().isEmpty(), r.body());
        assertEquals("close", r.header("connection"));
        assertTrue(c.closedByServer(), "then end of stream");
      }
      PrometheusText m = PrometheusText.parse(fx.admin("/_parapet/metrics").body());
      assertEquals(1.0, m.value("parapet_refusals_total", "code", "request_timeout"));
      assertEquals(1.0, m.value("parapet_requests_total", "status", "408"));
      assertFalse(m.hasSeries("parapet_requests_total", "status", "200"), "nothing of the body was served");
      assertEquals(0.0, m.value("parapet_body_budget_used_bytes"));
    } finally {
      ACCESS.detachAppender(lines);
    }
    List<String> calls = lines.list.stream().map(ILoggingEvent::getFormattedMessage)
        .filter(l -> l.contains("/routes/")).toList();
    assertEquals(1, calls.size(), () -> "one access line: " + calls);
    assertTrue(calls.get(0).contains(" 408 code=request_timeout "), calls.get(0));
    LeakWatch.assertNoLeaks();
  }

  private static void awaitMetric(TelemetryFixture fx, String name, double expected) throws Exception {
    awaitMetric(fx, name, null, null, expected);
  }

  private static void awaitMetric(TelemetryFixture fx, String name, String label, String value, double expected)
      throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    double seen = read(fx, name, label, value);
    while (seen != expected && System.nanoTime() < until) {
      Thread.sleep(20);
      seen = read(fx, name, label, value);
    }
    assertEquals(expected, seen, name);
  }

  private static double read(TelemetryFixture fx, String name, String label, String value) throws Exception {
    PrometheusText m = PrometheusText.parse(fx.admin("/_parapet/metrics").body());
    if (label == null) {
      return m.value(name);
    }
    return m.hasSeries(name, label, value) ? m.value(name, label, value) : 0.0;
  }
}
