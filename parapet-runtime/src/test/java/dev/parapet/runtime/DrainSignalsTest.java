package dev.parapet.runtime;

import static dev.parapet.runtime.testing.GatewayFixture.get;
import static dev.parapet.runtime.testing.GatewayFixture.post;
import static dev.parapet.runtime.testing.TestConfigs.TOKEN_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.RawHttp;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What a load balancer and a keep-alive client see of a stopping gateway, over real sockets: health
 * turns 503 {@code draining}, idle keep-alive connections are closed at once (not when the last
 * call in flight ends), and {@code PARAPET_SHUTDOWN_DELAY_MS} keeps the listener open first.
 */
class DrainSignalsTest {
  private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  /** A call that keeps the drain open for {@code ms}: sent on {@code c}, seen by the terminal. */
  private static void callInFlight(GatewayFixture fx, RawHttp c, long ms) throws Exception {
    fx.terminal.delayMs = ms;
    c.send(post("/routes/summarizer", TOKEN_A, CHAT));
    assertTrue(fx.terminal.received.poll(5, TimeUnit.SECONDS) != null);
  }

  private static void awaitConnections(GatewayFixture fx, int n) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (fx.gateway.openConnections() < n && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    assertEquals(n, fx.gateway.openConnections());
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedWhenTheDrainStartsNotWhenItEnds() throws Exception {
    GatewayFixture fx = new GatewayFixture(s -> s.withTimeouts(60_000, 10_000, 10_000));
    try (RawHttp idle = fx.raw(); RawHttp busy = fx.raw()) {
      idle.send(post("/routes/summarizer", TOKEN_A, CHAT));
      assertEquals(200, idle.read().status());
      fx.terminal.received.clear();
      callInFlight(fx, busy, 1_500);
      CompletableFuture<Void> closing = CompletableFuture.runAsync(fx::close);
      assertTrue(idle.closedByServer(), "the idle keep-alive connection is closed");
      assertEquals(1, fx.gateway.inFlightRequests(), "closed while the other call was still in flight");
      assertFalse(closing.isDone());
      RawHttp.Response r = busy.read();
      assertEquals(200, r.status(), "the call in flight is answered");
      assertEquals("close", r.header("connection"));
      closing.get(10, TimeUnit.SECONDS);
    } finally {
      fx.close();
    }
  }

  @Test
  void healthAnswers503DrainingOnceTheGatewayStops() throws Exception {
    GatewayFixture fx = new GatewayFixture(s -> s.withTimeouts(60_000, 10_000, 10_000));
    try (RawHttp probe = fx.raw(); RawHttp busy = fx.raw()) {
      probe.send(get("/_parapet/health", null));
      RawHttp.Response ok = probe.read();
      assertEquals(200, ok.status());
      assertTrue(ok.body().startsWith("{\"status\":\"ok\",\"config_sha256\":\""), ok.body());
      try (RawHttp fresh = fx.raw()) { // connected, its first request not sent: left open
        awaitConnections(fx, 3);
        callInFlight(fx, busy, 1_500);
        CompletableFuture<Void> closing = CompletableFuture.runAsync(fx::close);
        // The drain closes idle connections right after it begins: once the probe's is closed,
        // the gateway is draining, and the fresh connection's first request must say so.
        assertTrue(probe.closedByServer(), "the probe's idle keep-alive connection is closed");
        fresh.send(get("/_parapet/health", null));
        RawHttp.Response draining = fresh.read();
        assertEquals(503, draining.status());
        assertEquals(ok.body().replace("\"ok\"", "\"draining\""), draining.body());
        assertEquals("close", draining.header("connection"));
        assertEquals("no-store", draining.header("cache-control"));
        assertTrue(fresh.closedByServer());
        assertEquals(200, busy.read().status());
        closing.get(10, TimeUnit.SECONDS);
      }
    } finally {
      fx.close();
    }
  }

  @Test
  void theShutdownDelayKeepsAcceptingWithHealthDrainingThenRefuses() throws Exception {
    GatewayFixture fx = new GatewayFixture(s -> s.withTimeouts(60_000, 10_000, 5_000).withShutdownDelayMs(2_000));
    try {
      long t0 = System.nanoTime();
      CompletableFuture<Void> closing = CompletableFuture.runAsync(fx::close);
      RawHttp.Response health;
      do { // new connections are accepted while the drain has begun: health says so
        try (RawHttp c = fx.raw()) {
          health = c.send(get("/_parapet/health", null)).read();
        }
      } while (health.status() == 200 && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2));
      assertEquals(503, health.status());
      assertTrue(health.body().startsWith("{\"status\":\"draining\""), health.body());
      assertEquals("close", health.header("connection"));
      try (RawHttp c = fx.raw()) {
        RawHttp.Response r = c.send(post("/routes/summarizer", TOKEN_A, CHAT)).read();
        assertEquals(200, r.status(), "calls are still served during the delay, one per connection");
        assertEquals("close", r.header("connection"));
        assertTrue(c.closedByServer());
      }
      closing.get(10, TimeUnit.SECONDS);
      assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(1_900), "the delay was kept");
      assertThrows(Exception.class, () -> {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", fx.port), 500);
        }
      }, "the listener is closed after the delay");
    } finally {
      fx.close();
    }
  }
}
