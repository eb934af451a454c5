package dev.parapet.runtime;

import static dev.parapet.runtime.testing.TestConfigs.TOKEN_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.upstream.FakeProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code PARAPET_BODY_TIMEOUT_MS} over real sockets: a body that arrives well above the minimum
 * rate but is not whole by the deadline is refused with 408 {@code request_timeout} and its
 * reservation in the body budget goes back; one that is whole in time is served, and so is one
 * that waited, unread, for room in the body budget for longer than the deadline.
 */
class BodyDeadlineTest {
  private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String ANSWER = "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,"
      + "\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
      + "\"content\":\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":8,"
      + "\"completion_tokens\":1,\"total_tokens\":9}}";
  private static final int TRICKLE_MS = 100;
  /** Forty pieces at ten a second: four seconds, far past the 1.5 s deadline. */
  private static final int LATE_PIECES = 40;
  @TempDir Path tmp;

  private TelemetryFixture boot() throws Exception {
    return boot(URI.create("http://127.0.0.1:9/v1"), Map.of());
  }

  private TelemetryFixture boot(URI provider, Map<String, String> env) throws Exception {
    LeakWatch.start();
    TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), provider);
    fx.env.put("PARAPET_BODY_TIMEOUT_MS", "1500");
    fx.env.put("PARAPET_MIN_BODY_RATE", "1"); // every body here arrives at ten bytes a second or more
    fx.env.putAll(env);
    return fx.boot();
  }

  private static String head(String framing) {
    return "POST /routes/summarizer HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer " + TOKEN_A
        + "\r\nContent-Type: application/json\r\n" + framing + "\r\n\r\n";
  }

  private static String chunk(String data) {
    return Integer.toHexString(data.length()) + "\r\n" + data + "\r\n";
  }

  /**
   * Sends {@code pieces} one every {@link #TRICKLE_MS} on another thread, then {@code end}; stops
   * quietly when the server has closed the connection.
   */
  private static CompletableFuture<Void> trickle(RawHttp c, int pieces, String piece, String end) {
    return CompletableFuture.runAsync(() -> {
      try {
        for (int i = 0; i < pieces; i++) {
          c.send(piece);
          Thread.sleep(TRICKLE_MS);
        }
        c.send(end);
      } catch (IOException e) {
        // refused and closed: the rest goes nowhere
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  private static void awaitMetric(TelemetryFixture fx, String name, double expected) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    double value = metrics(fx).value(name);
    while (value != expected && System.nanoTime() < until) {
      Thread.sleep(20);
      value = metrics(fx).value(name);
    }
    assertEquals(expected, value, name);
  }

  private static PrometheusText metrics(TelemetryFixture fx) throws Exception {
    return PrometheusText.parse(fx.admin("/_parapet/metrics").body());
  }

  private static void awaitBudgetUsed(TelemetryFixture fx, double bytes) throws Exception {
    awaitMetric(fx, "parapet_body_budget_used_bytes", bytes);
  }

  private static void assertRefusedByTheDeadline(RawHttp c, CompletableFuture<Void> sender) throws Exception {
    RawHttp.Response refused = c.read();
    assertEquals(408, refused.status(), refused.body());
    assertTrue(refused.body().contains("\"code\":\"request_timeout\""), refused.body());
    assertTrue(refused.body().contains("within 1500 ms"), refused.body());
    assertTrue(c.closedByServer());
    sender.get(10, TimeUnit.SECONDS);
  }

  @Test
  void aContentLengthBodyStillArrivingAtTheDeadlineIsRefusedAndItsReservationGoesBack() throws Exception {
    try (TelemetryFixture fx = boot(); RawHttp c = fx.gatewayRaw()) {
      int length = LATE_PIECES + CHAT.length(); // leading blanks, then the JSON
      c.send(head("Content-Length: " + length));
      awaitBudgetUsed(fx, length);
      assertRefusedByTheDeadline(c, trickle(c, LATE_PIECES, " ", CHAT));
      awaitBudgetUsed(fx, 0);
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void aChunkedBodyStillArrivingAtTheDeadlineIsRefusedAndItsReservationGoesBack() throws Exception {
    try (TelemetryFixture fx = boot(); RawHttp c = fx.gatewayRaw()) {
      c.send(head("Transfer-Encoding: chunked"));
      awaitBudgetUsed(fx, 4 << 20); // length unknown: the body limit is reserved
      assertRefusedByTheDeadline(c, trickle(c, LATE_PIECES, chunk(" "), chunk(CHAT) + "0\r\n\r\n"));
      awaitBudgetUsed(fx, 0);
      PrometheusText m = metrics(fx);
      assertEquals(1.0, m.value("parapet_refusals_total", "code", "request_timeout"));
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * A request answered from its head (401) keeps its connection while the rest of its body is read
   * and dropped; when that body is late, the connection is closed, but the request was answered
   * once already: no second, unasked-for 408, and no second count in the metrics.
   */
  @Test
  void aLateBodyOfARequestAnsweredFromItsHeadClosesWithoutASecondAnswer() throws Exception {
    try (TelemetryFixture fx = boot(); RawHttp c = fx.gatewayRaw()) {
      c.send(head("Content-Length: " + (LATE_PIECES + CHAT.length())).replace(TOKEN_A, "not-a-token"));
      assertEquals(401, c.read().status());
      CompletableFuture<Void> sender = trickle(c, LATE_PIECES, " ", CHAT);
      assertTrue(c.closedByServer(), "closed, with nothing written after the 401");
      sender.get(10, TimeUnit.SECONDS);
      awaitBudgetUsed(fx, 0);
      PrometheusText m = metrics(fx);
      assertEquals(1.0, m.value("parapet_requests_total", "status", "401"));
      assertTrue(!m.hasSeries("parapet_requests_total", "status", "408"), "the 401 was counted twice");
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void aBodyWholeBeforeTheDeadlineIsServed() throws Exception {
    try (TelemetryFixture fx = boot(); RawHttp c = fx.gatewayRaw()) {
      c.send(head("Transfer-Encoding: chunked"));
      // Each body takes 0.8 s; the two together take longer than the 1.5 s deadline.
      trickle(c, 8, chunk(" "), chunk(CHAT) + "0\r\n\r\n").get(10, TimeUnit.SECONDS);
      assertEquals(200, c.read().status());
      c.send(head("Content-Length: " + (8 + CHAT.length())));
      trickle(c, 8, " ", CHAT).get(10, TimeUnit.SECONDS);
      assertEquals(200, c.read().status(), "the deadline runs per request, not per connection");
      awaitBudgetUsed(fx, 0);
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void timeWaitingForRoomInTheBodyBudgetDoesNotCount() throws Exception {
    CountDownLatch answer = new CountDownLatch(1);
    FakeProvider.Script held = (r, c) -> {
      assertTrue(answer.await(30, TimeUnit.SECONDS));
      c.full(200, "application/json", ANSWER);
    };
    String body = " ".repeat(600 - CHAT.length()) + CHAT;
    try (FakeProvider provider = new FakeProvider(held);
        TelemetryFixture fx = boot(provider.baseUrl("http", "127.0.0.1"),
            Map.of("PARAPET_MAX_BODY_BYTES", "1000", "PARAPET_MAX_BUFFERED_BODY_BYTES", "1000"));
        RawHttp a = fx.gatewayRaw();
        RawHttp b = fx.gatewayRaw()) {
      a.send(GatewayFixture.post("/routes/remote", TOKEN_A, body));
      assertTrue(provider.received.poll(10, TimeUnit.SECONDS) != null, "A's call went out");
      // A holds its 600 bytes until the provider answers; B's 600 do not fit beside them.
      b.send(GatewayFixture.post("/routes/summarizer", TOKEN_A, body));
      awaitMetric(fx, "parapet_body_budget_waiting", 1);
      Thread.sleep(2_500); // B waits, unread, well past its 1.5 s deadline
      answer.countDown();
      assertEquals(200, a.read().status());
      RawHttp.Response served = b.read();
      assertEquals(200, served.status(), "the wait was the gateway's, not B's: " + served.body());
      awaitBudgetUsed(fx, 0);
    } finally {
      answer.countDown();
    }
    LeakWatch.assertNoLeaks();
  }
}
