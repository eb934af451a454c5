package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front's limits in the scrape: connections open and refused at {@code
 * PARAPET_MAX_CONNECTIONS} (otherwise only a log line every 10 s), requests in flight, and the
 * gateway-wide body budget.
 */
class FrontMetricsTest {
  @TempDir Path tmp;

  @Test
  void connectionsRefusedAtTheCapAreCounted() throws Exception {
    LeakWatch.start();
    try (TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), URI.create("http://127.0.0.1:9/v1"))) {
      fx.env.put("PARAPET_MAX_CONNECTIONS", "2");
      fx.boot();
      try (RawHttp a = new RawHttp(fx.port()); RawHttp b = new RawHttp(fx.port())) {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (fx.gateway.openConnections() < 2 && System.nanoTime() < until) {
          Thread.sleep(5);
        }
        try (RawHttp third = new RawHttp(fx.port())) {
          assertTrue(third.closedByServer());
        }
        a.close();
        while (fx.gateway.openConnections() > 1 && System.nanoTime() < until) {
          Thread.sleep(5);
        }
        PrometheusText metrics = PrometheusText.parse(fx.admin("/_parapet/metrics").body());
        assertEquals(1.0, metrics.value("parapet_connections_refused_total"));
        assertEquals(2.0, metrics.value("parapet_connections_open"), "b and this scrape");
        assertEquals(1.0, metrics.value("parapet_requests_in_flight"), "this scrape");
        assertEquals(0.0, metrics.value("parapet_body_budget_used_bytes"));
        assertEquals(0.0, metrics.value("parapet_body_budget_waiting"));
      }
    }
    LeakWatch.assertNoLeaks();
  }
}
