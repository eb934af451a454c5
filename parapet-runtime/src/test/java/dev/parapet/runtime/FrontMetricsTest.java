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

  @Test
  void aHeadTimeoutAnUnknownPathAndARefusedHealthCheckAreCountedRequests() throws Exception {
    LeakWatch.start();
    try (TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), URI.create("http://127.0.0.1:9/v1"))) {
      fx.env.put("PARAPET_HEAD_TIMEOUT_MS", "300");
      fx.boot();
      try (RawHttp slow = new RawHttp(fx.port())) {
        slow.send("POST /routes/summarizer HTTP/1.1\r\nHost: p\r\n"); // and nothing more
        assertTrue(slow.closedByServer(), "the head deadline closes the connection");
      }
      try (RawHttp c = new RawHttp(fx.port())) {
        assertEquals(404, c.send("GET /nowhere HTTP/1.1\r\nHost: p\r\n\r\n").read().status());
        assertEquals(404, c.send("GET /_parapet/nowhere HTTP/1.1\r\nHost: p\r\n\r\n").read().status());
        assertEquals(200, c.send("GET /_parapet/health HTTP/1.1\r\nHost: p\r\n\r\n").read().status());
        // not a health check: a refusal like any other (a probe set up with the wrong method shows)
        assertEquals(405, c.send("DELETE /_parapet/health HTTP/1.1\r\nHost: p\r\n\r\n").read().status());
      }
      PrometheusText metrics = null;
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (System.nanoTime() < until) { // the scrape may run before the close's count lands
        metrics = PrometheusText.parse(fx.admin("/_parapet/metrics").body());
        if (metrics.hasSeries("parapet_requests_total", "route", "-", "status", "408")) {
          break;
        }
        Thread.sleep(20);
      }
      assertEquals(1.0, metrics.value("parapet_requests_total", "route", "-", "status", "408"),
          "the slow head, closed unanswered");
      assertTrue(!metrics.hasSeries("parapet_refusals_total", "code", "request_timeout"),
          "it was never answered: no refusal");
      assertEquals(2.0, metrics.value("parapet_requests_total", "route", "-", "status", "404"));
      assertEquals(2.0, metrics.value("parapet_refusals_total", "code", "not_found"));
      assertEquals(1.0, metrics.value("parapet_requests_total", "route", "-", "status", "405"));
      assertEquals(1.0, metrics.value("parapet_refusals_total", "code", "method_not_allowed"));
      assertTrue(!metrics.hasSeries("parapet_requests_total", "status", "200"),
          "health checks and scrapes are still not counted");
    }
    LeakWatch.assertNoLeaks();
  }
}
