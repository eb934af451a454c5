package dev.parapet.runtime;

import static dev.parapet.runtime.testing.GatewayFixture.post;
import static dev.parapet.runtime.testing.TestConfigs.TOKEN_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.RawHttp;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The graceful drain from the caller's side: an answer that was written but not yet read when the
 * drain starts (a slow reader, a large answer) reaches the caller whole; the drain does not cut it.
 */
class DrainTest {
  private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final int PAD = 4 << 20;

  @Test
  void anAnswerStillBeingWrittenWhenTheDrainStartsReachesTheCallerWhole() throws Exception {
    GatewayFixture fx = new GatewayFixture(s -> s.withTimeouts(60_000, 10_000, 5_000));
    fx.terminal.padBytes = PAD;
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096); // a slow reader: most of the answer waits on our side
    socket.connect(new InetSocketAddress("127.0.0.1", fx.port));
    try (RawHttp c = new RawHttp(socket)) {
      c.send(post("/routes/summarizer", TOKEN_A, CHAT));
      assertTrue(fx.terminal.received.poll(5, TimeUnit.SECONDS) != null);
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (fx.gateway.inFlightRequests() > 0 && System.nanoTime() < until) {
        Thread.sleep(5);
      }
      assertEquals(0, fx.gateway.inFlightRequests(), "answered: the request is no longer in flight");
      CompletableFuture<Void> closing = CompletableFuture.runAsync(fx::close);
      Thread.sleep(300); // the drain has begun; nothing read yet
      assertFalse(closing.isDone(), "the drain waits for the answer to leave");
      RawHttp.Response r = c.read();
      assertEquals(200, r.status());
      assertTrue(r.body().length() > PAD && r.body().endsWith("\"}"), "the whole answer arrived: " + r.body().length());
      assertTrue(c.closedByServer());
      closing.get(10, TimeUnit.SECONDS);
    } finally {
      fx.close();
    }
  }

  @Test
  void aRequestWhoseBodyIsStillArrivingWhenTheDrainStartsIsAnswered() throws Exception {
    GatewayFixture fx = new GatewayFixture(s -> s.withTimeouts(60_000, 10_000, 5_000));
    try (RawHttp c = fx.raw()) {
      String request = post("/routes/summarizer", TOKEN_A, CHAT);
      int split = request.length() - 10;
      c.send(request.substring(0, split)); // the head and most of the body
      Thread.sleep(200);
      CompletableFuture<Void> closing = CompletableFuture.runAsync(fx::close);
      Thread.sleep(200);
      assertFalse(closing.isDone(), "the drain waits for a request already begun");
      c.send(request.substring(split));
      RawHttp.Response r = c.read();
      assertEquals(200, r.status());
      assertEquals("close", r.header("connection"));
      assertTrue(c.closedByServer());
      closing.get(5, TimeUnit.SECONDS);
    } finally {
      fx.close();
    }
  }
}
