package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.testing.TestConfigs;
import dev.parapet.runtime.upstream.FakeProvider;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code PARAPET_UPSTREAM_IDLE_MS}, booted the production way over real sockets with one event loop
 * (one pool per origin): a provider connection resting longer than it is closed by Parapet, so the
 * next call opens a new one (a server that closes idle connections after 5 s without saying so,
 * as uvicorn does, is never written into as it closes); by default two calls close together share
 * one connection.
 */
class UpstreamIdleEndToEndTest {
  private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String ANSWER = SealedGateway.completion(SealedGateway.MODEL, "ok", 5, 1);
  @TempDir Path tmp;

  @Test
  void aConnectionRestingPastTheIdleTimeIsClosedAndTheNextCallOpensANewOne() throws Exception {
    LeakWatch.start();
    try (FakeProvider provider = new FakeProvider((r, c) -> c.full(200, "application/json", ANSWER));
        TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), provider.baseUrl("http", "127.0.0.1"))) {
      fx.env.put("PARAPET_WORKER_THREADS", "1");
      fx.env.put("PARAPET_UPSTREAM_IDLE_MS", "300");
      fx.boot();
      assertEquals(200, call(fx));
      // The clock under test: Parapet closes the resting connection 300 ms after the answer (the
      // default would keep it 30 s, past this deadline).
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (provider.closedBetweenRequests.get() == 0 && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      assertEquals(1, provider.closedBetweenRequests.get(), "Parapet closed the idle connection");
      assertEquals(200, call(fx));
      assertEquals(2, provider.connections.get(), "the second call on a new connection");
      assertEquals(2, provider.drain().get(1).connection());
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void byDefaultTwoCallsCloseTogetherShareOneConnection() throws Exception {
    LeakWatch.start();
    try (FakeProvider provider = new FakeProvider((r, c) -> c.full(200, "application/json", ANSWER));
        TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), provider.baseUrl("http", "127.0.0.1"))) {
      fx.env.put("PARAPET_WORKER_THREADS", "1");
      fx.boot();
      assertEquals(200, call(fx));
      assertEquals(200, call(fx));
      assertEquals(1, provider.connections.get(), "kept alive and reused");
      assertEquals(0, provider.closedBetweenRequests.get());
    }
    LeakWatch.assertNoLeaks();
  }

  private static int call(TelemetryFixture fx) throws Exception {
    try (RawHttp caller = fx.gatewayRaw()) {
      return caller.send(GatewayFixture.post("/routes/remote", TestConfigs.TOKEN_A, CHAT)).read().status();
    }
  }
}
