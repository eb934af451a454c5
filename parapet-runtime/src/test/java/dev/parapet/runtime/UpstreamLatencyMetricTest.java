package dev.parapet.runtime;

import static dev.parapet.runtime.testing.GatewayFixture.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.store.StoreFaults;
import dev.parapet.core.store.TelemetryStore;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.testing.TestConfigs;
import dev.parapet.runtime.upstream.FakeProvider;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code parapet_upstream_latency_seconds} observes provider calls only: a caller who leaves while
 * its budget hold is still being written never reached the provider, and is counted as a 499
 * request but not as a provider latency.
 */
class UpstreamLatencyMetricTest {
  private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  @TempDir Path tmp;

  @Test
  void aCallerGoneBeforeItsCallWasForwardedIsNoProviderLatency() throws Exception {
    LeakWatch.start();
    try (FakeProvider provider = new FakeProvider((r, c) -> c.full(200, "application/json", "{}"));
        TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), provider.baseUrl("http", "127.0.0.1")).boot()) {
      TelemetryStore store = fx.store();
      StoreFaults.pause(store); // the hold waits to be written
      java.net.Socket socket = new java.net.Socket("127.0.0.1", fx.port());
      try (RawHttp c = new RawHttp(socket)) {
        c.send(post("/routes/remote", TestConfigs.TOKEN_A, CHAT));
        Thread.sleep(300);
        socket.setSoLinger(true, 0); // the caller leaves meanwhile, abruptly
      }
      Thread.sleep(200);
      StoreFaults.resume(store);
      assertTrue(store.flush(Duration.ofSeconds(10)));

      PrometheusText metrics = null;
      long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (System.nanoTime() < until) {
        metrics = PrometheusText.parse(fx.admin("/_parapet/metrics").body());
        if (metrics.hasSeries("parapet_requests_total", "route", "remote", "status", "499")) {
          break;
        }
        Thread.sleep(20);
      }
      assertEquals(1.0, metrics.value("parapet_requests_total", "route", "remote", "status", "499"));
      assertEquals(0, provider.received.size(), "nothing went to the provider");
      assertEquals(0.0, metrics.value("parapet_upstream_latency_seconds_count"), "no provider latency to observe");
    }
    LeakWatch.assertNoLeaks();
  }
}
