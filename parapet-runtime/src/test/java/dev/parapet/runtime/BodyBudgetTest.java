package dev.parapet.runtime;

import static dev.parapet.runtime.testing.TestConfigs.TOKEN_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway-wide body budget over real sockets: with room for one 60,000-byte body, a second
 * one waits unread until the first request is done, bodiless requests are never held up, a waiter
 * who leaves takes nothing with it, and every reservation is given back.
 */
class BodyBudgetTest {
  private static final int BODY = 60_000;
  private static final String SHELL = "{\"model\":\"summarizer\",\"messages\":[{\"role\":\"user\",\"content\":\"\"}]}";
  private GatewayFixture fx;

  @BeforeEach
  void start() throws Exception {
    fx = new GatewayFixture(s -> s.withMaxBodyBytes(64 * 1024).withMaxBufferedBodyBytes(100_000));
  }

  @AfterEach
  void stop() throws Exception {
    fx.close();
    LeakWatch.assertNoLeaks();
  }

  /** A chat completion request of exactly {@link #BODY} bytes, as head and body. */
  private static String[] request() {
    String json = SHELL.replace("\"content\":\"\"", "\"content\":\"" + "a".repeat(BODY - SHELL.length()) + "\"");
    assertEquals(BODY, json.getBytes(StandardCharsets.UTF_8).length);
    String head = "POST /v1/chat/completions HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer " + TOKEN_A
        + "\r\nContent-Type: application/json\r\nContent-Length: " + BODY + "\r\n\r\n";
    return new String[] {head, json};
  }

  private static void await(LongSupplier value, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (value.getAsLong() != expected && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(expected, value.getAsLong());
  }

  @Test
  void aBodyThatDoesNotFitWaitsUnreadUntilTheOneBeforeItIsDone() throws Exception {
    String[] r = request();
    try (Socket sa = new Socket("127.0.0.1", fx.port); Socket sb = new Socket("127.0.0.1", fx.port);
        RawHttp a = new RawHttp(sa); RawHttp b = new RawHttp(sb); RawHttp c = fx.raw()) {
      a.send(r[0]).send(r[1].substring(0, BODY / 2)); // A holds its reservation, body half sent
      await(fx.gateway::bufferedBodyBytes, BODY);
      b.send(r[0] + r[1]); // B does not fit beside A
      await(fx.gateway::requestsWaitingForBodyRoom, 1);
      sb.setSoTimeout(300);
      assertThrows(SocketTimeoutException.class, () -> sb.getInputStream().read(), "B waits its turn");
      sb.setSoTimeout(20_000);
      // A request without a body reserves nothing and is never held up by the line.
      c.send(GatewayFixture.get("/v1/models", TOKEN_A));
      assertEquals(200, c.read().status());
      a.send(r[1].substring(BODY / 2));
      assertEquals(200, a.read().status());
      assertEquals(200, b.read().status());
      assertEquals(2, fx.terminal.received.size(), "both chat requests went on, whole");
      String content = fx.terminal.received.poll().body().get("messages").get(0).get("content").asText();
      assertEquals(BODY - SHELL.length(), content.length(), "the whole body, not a part");
    }
    await(fx.gateway::bufferedBodyBytes, 0);
    assertEquals(0, fx.gateway.requestsWaitingForBodyRoom());
  }

  @Test
  void aChunkedBodyReservesTheLimitUntilItsLastChunkThenOnlyWhatCame() throws Exception {
    String json = request()[1];
    fx.terminal.delayMs = 60_000; // the call stays open: only the body's end changes the reservation
    try (RawHttp a = fx.raw()) {
      a.send("POST /v1/chat/completions HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer " + TOKEN_A
          + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
      a.send(chunk(json.substring(0, 1000)));
      await(fx.gateway::bufferedBodyBytes, 64 * 1024); // length unknown: the body limit
      a.send(chunk(json.substring(1000)) + "0\r\n\r\n");
      fx.terminal.received.poll(10, TimeUnit.SECONDS);
      await(fx.gateway::bufferedBodyBytes, BODY); // what came, while the call is still open
    }
    await(fx.gateway::bufferedBodyBytes, 0);
  }

  private static String chunk(String data) {
    return Integer.toHexString(data.length()) + "\r\n" + data + "\r\n";
  }

  @Test
  void aWaiterWhoLeavesTakesNothingWithItAndTheLineMovesOn() throws Exception {
    String[] r = request();
    RawHttp a = fx.raw();
    try {
      a.send(r[0]).send(r[1].substring(0, 1000));
      await(fx.gateway::bufferedBodyBytes, BODY);
      for (int i = 0; i < 3; i++) {
        try (RawHttp gone = fx.raw()) {
          gone.send(r[0] + r[1]);
          await(fx.gateway::requestsWaitingForBodyRoom, 1);
        }
        await(fx.gateway::requestsWaitingForBodyRoom, 0); // out of the line as it closed
      }
      assertEquals(BODY, fx.gateway.bufferedBodyBytes(), "only A's reservation");
      try (RawHttp b = fx.raw()) {
        b.send(r[0] + r[1]);
        await(fx.gateway::requestsWaitingForBodyRoom, 1);
        a.close(); // A leaves mid-body: its reservation goes back and B is admitted
        assertEquals(200, b.read().status());
      }
    } finally {
      a.close();
    }
    await(fx.gateway::bufferedBodyBytes, 0);
    assertEquals(1, fx.terminal.received.size(), "only B reached the terminal");
  }
}
