package dev.parapet.runtime;

import static dev.parapet.runtime.testing.GatewayFixture.post;
import static dev.parapet.runtime.testing.TestConfigs.TOKEN_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.RawHttp;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Connection cap, idle and head timeouts, graceful drain. */
class LimitsAndShutdownTest {
  private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  @Test
  void idleKeepAliveConnectionsAreClosed() throws Exception {
    try (GatewayFixture fx = new GatewayFixture(s -> s.withTimeouts(300, 10_000, 1000));
        RawHttp c = fx.raw()) {
      c.send(post("/routes/summarizer", TOKEN_A, CHAT));
      assertEquals(200, c.read().status());
      long t0 = System.nanoTime();
      assertTrue(c.closedByServer());
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(8)); // far below the other deadlines
    }
  }

  @Test
  void aBodyTrickledBelowTheMinimumRateIsCutOffWithoutStarvingOthers() throws Exception {
    try (GatewayFixture fx = new GatewayFixture(s -> s.withMinBodyRate(1024));
        RawHttp slow = fx.raw();
        RawHttp normal = fx.raw()) {
      slow.send("POST /routes/summarizer HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer " + TOKEN_A
          + "\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"messages\":");
      // While it trickles, another caller is served as usual.
      normal.send(post("/routes/summarizer", TOKEN_A, CHAT));
      assertEquals(200, normal.read().status());
      for (int i = 0; i < 3; i++) {
        Thread.sleep(1_000);
        slow.send(" "); // a byte a second: never idle, far below 1 KiB/s
      }
      RawHttp.Response refused = slow.read();
      assertEquals(408, refused.status());
      assertTrue(refused.body().contains("\"code\":\"request_timeout\""), refused.body());
      assertTrue(slow.closedByServer());
      assertEquals(1, fx.terminal.received.size(), "only the normal request was dispatched");
    }
  }

  @Test
  void theBodyRateCheckCanBeTurnedOff() throws Exception {
    try (GatewayFixture fx = new GatewayFixture(s -> s.withMinBodyRate(0).withTimeouts(60_000, 10_000, 1000));
        RawHttp c = fx.raw()) {
      String head = "POST /routes/summarizer HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer " + TOKEN_A
          + "\r\nContent-Type: application/json\r\nContent-Length: " + CHAT.length() + "\r\n\r\n";
      c.send(head + CHAT.substring(0, 5));
      Thread.sleep(6_500); // past the grace period, with 5 bytes sent
      c.send(CHAT.substring(5));
      assertEquals(200, c.read().status());
    }
  }

  @Test
  void aSlowHeadIsCutOff() throws Exception {
    try (GatewayFixture fx = new GatewayFixture(s -> s.withTimeouts(60_000, 300, 1000));
        RawHttp c = fx.raw()) {
      c.send("POST /routes/summarizer HTTP/1.1\r\nHost: p\r\n");
      Thread.sleep(150);
      c.send("X-Slow: 1\r\n"); // still dribbling: the deadline runs from the first byte
      long t0 = System.nanoTime();
      assertTrue(c.closedByServer());
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(8)); // far below the other deadlines
      assertTrue(fx.terminal.received.isEmpty());
    }
  }

  /** Empty lines before a request line are the head's first bytes: a CRLF now and then is no way around its deadline. */
  @Test
  void emptyLinesBeforeTheHeadStartItsClock() throws Exception {
    try (GatewayFixture fx = new GatewayFixture(s -> s.withTimeouts(60_000, 300, 1000));
        RawHttp c = fx.raw()) {
      long t0 = System.nanoTime();
      boolean closed = false;
      for (int i = 0; i < 40 && !closed; i++) { // up to 8 s of a CRLF every 200 ms
        try {
          c.send("\r\n");
          Thread.sleep(200);
        } catch (IOException e) {
          closed = true;
        }
      }
      assertTrue(closed || c.closedByServer(), "a connection sending only empty lines outlived the 300 ms head deadline");
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(8));
    }
    try (GatewayFixture fx = new GatewayFixture();
        RawHttp c = fx.raw()) {
      c.send("\r\n\r\n" + post("/routes/summarizer", TOKEN_A, CHAT)); // a few are fine
      assertEquals(200, c.read().status());
      c.send("\r\n".repeat(200) + post("/routes/summarizer", TOKEN_A, CHAT)); // a flood is not
      assertEquals(400, c.read().status());
    }
  }

  @Test
  void aRequestInFlightLongerThanTheIdleTimeoutIsAnswered() throws Exception {
    try (GatewayFixture fx = new GatewayFixture(s -> s.withTimeouts(200, 200, 1000));
        RawHttp c = fx.raw()) {
      fx.terminal.delayMs = 800;
      // A second, pipelined head waits unread meanwhile: not the caller's fault, not cut off.
      c.send(post("/routes/summarizer", TOKEN_A, CHAT) + post("/routes/summarizer", TOKEN_A, CHAT));
      assertEquals(200, c.read().status());
      assertEquals(200, c.read().status());
    }
  }

  @Test
  void connectionsAboveTheCapAreClosed() throws Exception {
    try (GatewayFixture fx = new GatewayFixture(s -> s.withMaxConnections(2));
        RawHttp a = fx.raw();
        RawHttp b = fx.raw()) {
      a.send(post("/routes/summarizer", TOKEN_A, CHAT));
      assertEquals(200, a.read().status());
      b.send(post("/routes/summarizer", TOKEN_A, CHAT));
      assertEquals(200, b.read().status());
      try (RawHttp third = fx.raw()) {
        assertTrue(third.closedByServer());
      }
      assertEquals(2, fx.gateway.openConnections());
    }
  }

  @Test
  void closeDrainsInFlightRequestsThenStops() throws Exception {
    GatewayFixture fx = new GatewayFixture(s -> s.withTimeouts(60_000, 10_000, 5_000));
    fx.terminal.delayMs = 700;
    try (RawHttp c = fx.raw()) {
      c.send(post("/routes/summarizer", TOKEN_A, CHAT));
      assertTrue(fx.terminal.received.poll(5, TimeUnit.SECONDS) != null);
      assertEquals(1, fx.gateway.inFlightRequests());
      CompletableFuture<Void> closing = CompletableFuture.runAsync(fx::close);
      Thread.sleep(100);
      assertFalse(closing.isDone(), "close waits for the request in flight");
      assertThrows(Exception.class, () -> {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", fx.port), 500);
        }
      }, "no new connections while draining");
      RawHttp.Response r = c.read();
      assertEquals(200, r.status());
      assertEquals("close", r.header("connection"), "answers during a drain close their connection");
      assertTrue(c.closedByServer());
      closing.get(5, TimeUnit.SECONDS);
      assertEquals(0, fx.gateway.inFlightRequests());
    }
  }

  @Test
  void stageResourcesAreClosedLastInReverseOrder() throws Exception {
    java.util.List<String> closed = new java.util.concurrent.CopyOnWriteArrayList<>();
    dev.parapet.runtime.testing.RecordingTerminal terminal = new dev.parapet.runtime.testing.RecordingTerminal();
    Gateway g = new Gateway(
        dev.parapet.runtime.boot.Settings.defaults().withBind("127.0.0.1").withPort(0),
        dev.parapet.runtime.testing.TestConfigs.front(),
        new Stages(java.util.List.of(), terminal::newHandler,
            java.util.List.of(() -> closed.add("pool"), () -> closed.add("store"))));
    g.start();
    g.close();
    assertEquals(java.util.List.of("store", "pool"), closed);
  }

  @Test
  void closeGivesUpAfterTheGracePeriod() throws Exception {
    GatewayFixture fx = new GatewayFixture(s -> s.withTimeouts(60_000, 10_000, 200));
    fx.terminal.delayMs = 10_000;
    try (RawHttp c = fx.raw()) {
      c.send(post("/routes/summarizer", TOKEN_A, CHAT));
      assertTrue(fx.terminal.received.poll(5, TimeUnit.SECONDS) != null);
      long t0 = System.nanoTime();
      fx.close();
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(8)); // the answer would take 10 s
      assertTrue(c.closedByServer());
    }
  }
}
