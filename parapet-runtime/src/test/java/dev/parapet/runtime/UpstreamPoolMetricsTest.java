package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.testing.TestConfigs;
import dev.parapet.runtime.upstream.FakeProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Provider pool saturation in the scrape, per origin, booted the production way over real sockets:
 * one event loop and {@code PARAPET_UPSTREAM_MAX_PER_ORIGIN=1}; route remote goes to one provider,
 * route writer to another. One call to remote holds its only connection, four wait in its line and
 * the sixth is refused 503 {@code unavailable} — which the refusal counter alone cannot tell from a
 * failing store — while writer's provider answers, and its series say its pool is fine.
 */
class UpstreamPoolMetricsTest {
  private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String ANSWER = SealedGateway.completion(SealedGateway.MODEL, "ok", 5, 1);
  private static final String OPEN = "parapet_upstream_connections_open";
  private static final String WAITING = "parapet_upstream_connections_waiting";
  private static final String EXHAUSTED = "parapet_upstream_pool_exhausted_total";
  @TempDir Path tmp;

  @Test
  void openWaitingAndExhaustedPoolsAreExportedPerOrigin() throws Exception {
    LeakWatch.start();
    CountDownLatch release = new CountDownLatch(1);
    try (FakeProvider slow = new FakeProvider((r, c) -> {
      release.await(20, TimeUnit.SECONDS);
      c.full(200, "application/json", ANSWER);
    });
        FakeProvider quick = new FakeProvider((r, c) -> c.full(200, "application/json", ANSWER));
        TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"),
            TelemetryFixture.config(slow.baseUrl("http", "127.0.0.1"), quick.baseUrl("http", "127.0.0.1")))) {
      fx.env.put("PARAPET_WORKER_THREADS", "1");
      fx.env.put("PARAPET_UPSTREAM_MAX_PER_ORIGIN", "1");
      fx.boot();
      // scheme://host:port: the base URLs' path (/v1) is no part of the label.
      String slowOrigin = "http://127.0.0.1:" + slow.port();
      String quickOrigin = "http://127.0.0.1:" + quick.port();
      PrometheusText m = scrape(fx);
      assertEquals(Set.of(slowOrigin, quickOrigin), Set.copyOf(m.labelValues(OPEN, "origin")));
      for (String family : List.of(OPEN, WAITING, EXHAUSTED)) {
        for (String origin : List.of(slowOrigin, quickOrigin)) {
          assertEquals(0.0, m.value(family, "origin", origin), family + " from boot, before any call");
        }
      }
      List<RawHttp> callers = new ArrayList<>();
      try {
        for (int i = 0; i < 5; i++) {
          RawHttp c = fx.gatewayRaw();
          callers.add(c);
          c.send(GatewayFixture.post("/routes/remote", TestConfigs.TOKEN_A, CHAT));
        }
        assertNotNull(slow.received.poll(10, TimeUnit.SECONDS), "the first call holds the only connection");
        awaitWaiting(fx, slowOrigin, 4);
        try (RawHttp other = fx.gatewayRaw()) {
          assertEquals(200, other.send(GatewayFixture.post("/routes/writer", TestConfigs.TOKEN_A, CHAT)).read().status(),
              "another origin's pool is not the saturated one");
        }
        m = scrape(fx);
        assertEquals(1.0, m.value(OPEN, "origin", slowOrigin));
        assertEquals(0.0, m.value(EXHAUSTED, "origin", slowOrigin));
        assertEquals(1.0, m.value(OPEN, "origin", quickOrigin), "kept alive, resting in its pool");
        assertEquals(0.0, m.value(WAITING, "origin", quickOrigin));
        try (RawHttp sixth = fx.gatewayRaw()) {
          RawHttp.Response refused = sixth.send(GatewayFixture.post("/routes/remote", TestConfigs.TOKEN_A, CHAT)).read();
          assertEquals(503, refused.status());
          assertTrue(refused.body().contains("\"unavailable\""), refused.body());
        }
        m = scrape(fx);
        assertEquals(1.0, m.value(EXHAUSTED, "origin", slowOrigin));
        assertEquals(0.0, m.value(EXHAUSTED, "origin", quickOrigin));
        release.countDown();
        for (RawHttp c : callers) {
          assertEquals(200, c.read().status());
        }
        m = scrape(fx);
        assertEquals(0.0, m.value(WAITING, "origin", slowOrigin));
        assertEquals(1.0, m.value(OPEN, "origin", slowOrigin), "kept alive, resting in the pool");
        assertEquals(Set.of(slowOrigin, quickOrigin), Set.copyOf(m.labelValues(EXHAUSTED, "origin")),
            "one series per configured origin, nothing else");
      } finally {
        release.countDown();
        for (RawHttp c : callers) {
          c.close();
        }
      }
    }
    LeakWatch.assertNoLeaks();
  }

  private static PrometheusText scrape(TelemetryFixture fx) throws Exception {
    return PrometheusText.parse(fx.admin("/_parapet/metrics").body());
  }

  private static void awaitWaiting(TelemetryFixture fx, String origin, int n) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    PrometheusText m = scrape(fx);
    while (m.value(WAITING, "origin", origin) < n && System.nanoTime() < until) {
      Thread.sleep(20);
      m = scrape(fx);
    }
    assertEquals(n, m.value(WAITING, "origin", origin), "calls waiting for the connection");
  }
}
