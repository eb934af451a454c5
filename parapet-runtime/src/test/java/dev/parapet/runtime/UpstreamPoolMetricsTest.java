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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Provider pool saturation in the scrape, booted the production way over real sockets: one event
 * loop and {@code PARAPET_UPSTREAM_MAX_PER_ORIGIN=1}, so one call holds the only connection, four
 * wait in its line and the sixth is refused 503 {@code unavailable} — which the refusal counter
 * alone cannot tell from a failing store.
 */
class UpstreamPoolMetricsTest {
  private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String ANSWER = SealedGateway.completion(SealedGateway.MODEL, "ok", 5, 1);
  @TempDir Path tmp;

  @Test
  void openWaitingAndExhaustedPoolsAreExported() throws Exception {
    LeakWatch.start();
    CountDownLatch release = new CountDownLatch(1);
    try (FakeProvider provider = new FakeProvider((r, c) -> {
      release.await(20, TimeUnit.SECONDS);
      c.full(200, "application/json", ANSWER);
    });
        TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), provider.baseUrl("http", "127.0.0.1"))) {
      fx.env.put("PARAPET_WORKER_THREADS", "1");
      fx.env.put("PARAPET_UPSTREAM_MAX_PER_ORIGIN", "1");
      fx.boot();
      List<RawHttp> callers = new ArrayList<>();
      try {
        for (int i = 0; i < 5; i++) {
          RawHttp c = fx.gatewayRaw();
          callers.add(c);
          c.send(GatewayFixture.post("/routes/remote", TestConfigs.TOKEN_A, CHAT));
        }
        assertNotNull(provider.received.poll(10, TimeUnit.SECONDS), "the first call holds the only connection");
        PrometheusText m = awaitWaiting(fx, 4);
        assertEquals(1.0, m.value("parapet_upstream_connections_open"));
        assertEquals(0.0, m.value("parapet_upstream_pool_exhausted_total"));
        try (RawHttp sixth = fx.gatewayRaw()) {
          RawHttp.Response refused = sixth.send(GatewayFixture.post("/routes/remote", TestConfigs.TOKEN_A, CHAT)).read();
          assertEquals(503, refused.status());
          assertTrue(refused.body().contains("\"unavailable\""), refused.body());
        }
        assertEquals(1.0, scrape(fx).value("parapet_upstream_pool_exhausted_total"));
        release.countDown();
        for (RawHttp c : callers) {
          assertEquals(200, c.read().status());
        }
        m = scrape(fx);
        assertEquals(0.0, m.value("parapet_upstream_connections_waiting"));
        assertEquals(1.0, m.value("parapet_upstream_connections_open"), "kept alive, resting in the pool");
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

  private static PrometheusText awaitWaiting(TelemetryFixture fx, int n) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    PrometheusText m = scrape(fx);
    while (m.value("parapet_upstream_connections_waiting") < n && System.nanoTime() < until) {
      Thread.sleep(20);
      m = scrape(fx);
    }
    assertEquals(n, m.value("parapet_upstream_connections_waiting"), "calls waiting for the connection");
    return m;
  }
}
