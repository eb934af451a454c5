package dev.parapet.runtime;

import static dev.parapet.runtime.testing.TestConfigs.TOKEN_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Every answer that ends its connection while the caller is still sending a body, sent the way
 * Node SDKs send one (all of it written before the answer is read): the close lingers, so the
 * caller reads the SPEC-shaped answer instead of a reset it would take for a network failure and
 * retry. The 413 of {@link OversizedBodyAnswerTest} was the first; these are the others: refusals
 * from the head (401, 404, 405) that close because the body is chunked or announced above the
 * limit, 417 and the 413 of {@code Expect}, the 408 of a body past its deadline, the 400 of a
 * request whose framing breaks in the middle of its body or in its head, and the drain's
 * {@code Connection: close}.
 */
class ClosingAnswersLingerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int LIMIT = 64 * 1024;
  private static final int PIECE = 256 * 1024;
  private static final int BIG = 8 << 20; // far past what the two sockets' buffers hold
  private static final Logger ACCESS = (Logger) LoggerFactory.getLogger("parapet.access");
  private static GatewayFixture fx;

  @BeforeAll
  static void start() throws Exception {
    fx = new GatewayFixture(s -> s.withMaxBodyBytes(LIMIT));
  }

  @AfterAll
  static void stop() throws Exception {
    fx.close();
    LeakWatch.assertNoLeaks();
  }

  private static String head(String method, String path, String token, String framing) {
    return method + " " + path + " HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: keep-alive\r\n"
        + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")
        + "content-type: application/json\r\naccept: application/json\r\n" + framing + "\r\n";
  }

  private static byte[] filler(int size) {
    byte[] body = new byte[size];
    Arrays.fill(body, (byte) 'x');
    return body;
  }

  /** {@code size} bytes of body as chunks of {@link #PIECE}, with the last chunk. */
  private static byte[] chunked(int size) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(size + 4096);
    byte[] piece = filler(PIECE);
    for (int at = 0; at < size; at += PIECE) {
      out.writeBytes((Integer.toHexString(PIECE) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(piece);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  /** Writes all of {@code body} before reading anything; the old close reset the connection here. */
  private static void writeAll(RawHttp c, byte[] body, long pauseMs) throws Exception {
    for (int at = 0; at < body.length; at += PIECE) {
      c.send(Arrays.copyOfRange(body, at, Math.min(body.length, at + PIECE)));
      if (pauseMs > 0) {
        Thread.sleep(pauseMs);
      }
    }
  }

  /** The caller writes its head and the whole body, then reads: the answer, and end of stream. */
  private static RawHttp.Response sendWholeThenRead(GatewayFixture g, String head, byte[] body, long pauseMs)
      throws Exception {
    try (RawHttp c = g.raw()) {
      c.send(head);
      writeAll(c, body, pauseMs);
      RawHttp.Response r = c.read();
      assertEquals("close", r.header("connection"), "the answer still ends the connection");
      assertTrue(c.closedByServer(), "then end of stream, not a reset");
      return r;
    }
  }

  private static void assertError(RawHttp.Response r, int status, String code) throws IOException {
    assertEquals(status, r.status(), r.body());
    JsonNode error = JSON.readTree(r.body()).path("error");
    assertEquals("parapet_error", error.path("type").asText(), r.body());
    assertEquals(code, error.path("code").asText(), r.body());
    assertFalse(error.path("request_id").asText().isEmpty(), r.body());
  }

  @Test
  void aChunkedBodyWithoutAValidTokenReadsThe401() throws Exception {
    RawHttp.Response r = sendWholeThenRead(fx,
        head("POST", "/v1/chat/completions", "not-a-token", "transfer-encoding: chunked\r\n"), chunked(BIG), 0);
    assertError(r, 401, "invalid_token");
    assertEquals("Bearer realm=\"parapet\"", r.header("www-authenticate"));
  }

  @Test
  void aBodyAnnouncedAboveTheLimitOnAnUnknownPathReadsThe404() throws Exception {
    RawHttp.Response r = sendWholeThenRead(fx,
        head("POST", "/v1/nowhere", TOKEN_A, "content-length: " + BIG + "\r\n"), filler(BIG), 0);
    assertError(r, 404, "not_found");
  }

  @Test
  void aChunkedBodyOnTheWrongMethodReadsThe405() throws Exception {
    RawHttp.Response r = sendWholeThenRead(fx,
        head("POST", "/v1/models", TOKEN_A, "transfer-encoding: chunked\r\n"), chunked(BIG), 0);
    assertError(r, 405, "method_not_allowed");
    assertEquals("GET", r.header("allow"));
  }

  @Test
  void anUnknownExpectationReadsThe417() throws Exception {
    RawHttp.Response r = sendWholeThenRead(fx,
        head("POST", "/v1/chat/completions", TOKEN_A, "expect: teapot\r\ncontent-length: " + BIG + "\r\n"),
        filler(BIG), 0);
    assertEquals(417, r.status());
  }

  @Test
  void aCallerThatDoesNotWaitForItsContinueReadsThe413() throws Exception {
    // curl sends the body after a second without an answer to Expect: 100-continue.
    RawHttp.Response r = sendWholeThenRead(fx,
        head("POST", "/v1/chat/completions", TOKEN_A, "expect: 100-continue\r\ncontent-length: " + BIG + "\r\n"),
        filler(BIG), 0);
    assertError(r, 413, "request_too_large");
  }

  @Test
  void aChunkedBodyWhoseFramingBreaksHalfwayReadsThe400() throws Exception {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes("4000\r\n".getBytes(StandardCharsets.US_ASCII)); // 16 KiB, within the limit
    body.writeBytes(filler(16 * 1024));
    body.writeBytes("\r\nzz\r\n".getBytes(StandardCharsets.US_ASCII)); // not a chunk size
    body.writeBytes(filler(BIG));
    RawHttp.Response r = sendWholeThenRead(fx,
        head("POST", "/v1/chat/completions", TOKEN_A, "transfer-encoding: chunked\r\n"), body.toByteArray(), 0);
    assertError(r, 400, "invalid_request");
  }

  @Test
  void aHeadWithAmbiguousFramingReadsThe400() throws Exception {
    RawHttp.Response r = sendWholeThenRead(fx,
        head("POST", "/v1/chat/completions", TOKEN_A, "content-length: " + BIG + "\r\ncontent-length: 5\r\n"),
        filler(BIG), 0);
    assertError(r, 400, "invalid_request");
  }

  @Test
  void whatFollowsAClosingAnswerIsNeitherAnsweredNorLogged() throws Exception {
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    ACCESS.addAppender(lines);
    try (RawHttp c = fx.raw()) {
      // One write: a refused request, its short chunked body, and a request pipelined behind it.
      c.send(head("POST", "/v1/chat/completions", "not-a-token", "transfer-encoding: chunked\r\n")
          + "5\r\nhello\r\n0\r\n\r\n" + GatewayFixture.get("/_parapet/health", null));
      assertError(c.read(), 401, "invalid_token");
      assertTrue(c.closedByServer(), "the health check behind it is not answered");
    } finally {
      awaitTrue(() -> fx.gateway.openConnections() == 0);
      ACCESS.detachAppender(lines);
    }
    assertEquals(1, lines.list.size(), () -> "one access line: " + lines.list);
    assertTrue(lines.list.get(0).getFormattedMessage().contains(" 401 "), lines.list.get(0).getFormattedMessage());
  }

  @Test
  void aHeadBegunBehindAClosingAnswerDoesNotTimeOutIntoTheLog() throws Exception {
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    try (GatewayFixture quick = new GatewayFixture(s -> s.withMaxBodyBytes(LIMIT).withTimeouts(60_000, 300, 5_000))) {
      ACCESS.addAppender(lines);
      try (RawHttp c = quick.raw()) {
        // The start of a next head behind the refused request: its clock would run out mid-linger.
        c.send(head("POST", "/v1/chat/completions", "not-a-token", "transfer-encoding: chunked\r\n")
            + "5\r\nhello\r\n0\r\n\r\nPOST /v1/chat/completions HTTP/1.1\r\nHo");
        assertError(c.read(), 401, "invalid_token");
        assertTrue(c.closedByServer());
        Thread.sleep(1_000); // three head timeouts: a line would have been written by now
      }
      awaitTrue(() -> quick.gateway.openConnections() == 0);
    } finally {
      ACCESS.detachAppender(lines);
    }
    assertEquals(1, lines.list.size(), () -> "one access line: " + lines.list);
  }

  @Test
  void aRequestPipelinedBehindConnectionCloseIsNeverDispatched() throws Exception {
    // RFC 9112 §9.6: after the answer to a request with Connection: close, no further request on
    // that connection is processed; one sent ahead must not be bought upstream, unanswerable.
    String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    String last = GatewayFixture.post("/routes/summarizer", TOKEN_A, chat)
        .replace("Host: parapet\r\n", "Host: parapet\r\nConnection: close\r\n");
    fx.terminal.received.clear();
    fx.terminal.padBytes = 4 << 20; // an answer that waits on the gateway's side for a slow reader
    java.net.Socket slow = new java.net.Socket();
    slow.setReceiveBufferSize(4096);
    slow.connect(new java.net.InetSocketAddress("127.0.0.1", fx.port));
    try (RawHttp c = new RawHttp(slow)) {
      c.send(last + GatewayFixture.post("/routes/summarizer", TOKEN_A, chat));
      assertTrue(fx.terminal.received.poll(5, TimeUnit.SECONDS) != null);
      Thread.sleep(300); // the first answer is written, not yet read: the second request had its chance
      assertTrue(fx.terminal.received.isEmpty(), "the request behind it was dispatched");
      RawHttp.Response r = c.read();
      assertEquals(200, r.status());
      assertEquals("close", r.header("connection"));
      assertTrue(c.closedByServer());
    } finally {
      fx.terminal.padBytes = 0;
    }
    awaitTrue(() -> fx.gateway.openConnections() == 0 && fx.gateway.inFlightRequests() == 0);
    assertTrue(fx.terminal.received.isEmpty(), "only the first request went on");
  }

  @Test
  void lingeringConnectionsCountAgainstTheConnectionCap() throws Exception {
    try (GatewayFixture capped = new GatewayFixture(s -> s.withMaxBodyBytes(LIMIT).withMaxConnections(2));
        RawHttp lingering = capped.raw();
        RawHttp other = capped.raw()) {
      lingering.send(head("POST", "/v1/chat/completions", "not-a-token", "transfer-encoding: chunked\r\n"));
      lingering.send(filler(PIECE)); // part of a body, and the caller goes on holding its socket
      assertError(lingering.read(), 401, "invalid_token");
      assertTrue(lingering.closedByServer(), "its answer is over");
      other.send(GatewayFixture.get("/_parapet/health", null));
      assertEquals(200, other.read().status());
      try (RawHttp third = capped.raw()) {
        assertTrue(third.closedByServer(), "the lingering connection still holds its place");
      }
      assertEquals(2, capped.gateway.openConnections());
      lingering.close(); // the caller hangs up: the linger ends with it, not 10 s later
      awaitTrue(() -> capped.gateway.openConnections() == 1);
    }
  }

  @Test
  void aBodyPastItsDeadlineReadsThe408AndTheLingerHoldsNoBudget() throws Exception {
    int max = 8 << 20;
    try (GatewayFixture deadline = new GatewayFixture(s -> s.withMaxBodyBytes(max).withBodyTimeoutMs(1_000))) {
      byte[] body = filler(6 << 20); // 24 pieces, one every 100 ms: whole only after ~2.4 s
      try (RawHttp c = deadline.raw()) {
        c.send(head("POST", "/routes/summarizer", TOKEN_A, "content-length: " + body.length + "\r\n"));
        writeAll(c, body, 100);
        RawHttp.Response r = c.read();
        assertError(r, 408, "request_timeout");
        assertEquals("close", r.header("connection"));
        // Lingering: still open (the caller has not closed) and counted, its reservation given back.
        assertEquals(1, deadline.gateway.openConnections());
        assertEquals(0, deadline.gateway.bufferedBodyBytes());
        assertTrue(c.closedByServer());
      }
      awaitTrue(() -> deadline.gateway.openConnections() == 0);
      assertTrue(deadline.terminal.received.isEmpty());
    }
  }

  @Test
  void theDrainsConnectionCloseOnAHeadAnswerLingers() throws Exception {
    int max = 8 << 20;
    GatewayFixture draining = new GatewayFixture(s -> s.withMaxBodyBytes(max).withTimeouts(60_000, 10_000, 10_000));
    try (RawHttp held = draining.raw()) {
      CompletableFuture<Void> closing;
      try (RawHttp c = draining.raw()) {
        draining.terminal.delayMs = 3_000; // holds the drain open while c is refused
        held.send(GatewayFixture.post("/routes/summarizer", TOKEN_A, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        assertTrue(draining.terminal.received.poll(5, TimeUnit.SECONDS) != null);
        closing = CompletableFuture.runAsync(draining::close);
        awaitTrue(() -> refusesConnections(draining.port)); // the drain has begun
        byte[] body = filler(6 << 20); // within the limit: kept alive, were the gateway not draining
        c.send(head("POST", "/v1/chat/completions", "not-a-token", "content-length: " + body.length + "\r\n"));
        writeAll(c, body, 0);
        RawHttp.Response r = c.read();
        assertError(r, 401, "invalid_token");
        assertEquals("close", r.header("connection"));
        assertTrue(c.closedByServer());
      }
      assertEquals(200, held.read().status());
      closing.get(15, TimeUnit.SECONDS);
    } finally {
      draining.close();
    }
  }

  @Test
  void aCallerThatNeverHangsUpDoesNotHoldTheShutdown() throws Exception {
    GatewayFixture stopping = new GatewayFixture(s -> s.withMaxBodyBytes(LIMIT));
    try (RawHttp c = stopping.raw()) {
      c.send(head("POST", "/v1/chat/completions", "not-a-token", "transfer-encoding: chunked\r\n"));
      c.send(filler(PIECE));
      assertError(c.read(), 401, "invalid_token"); // lingering now; the caller keeps its socket open
      long start = System.nanoTime();
      stopping.close(); // nothing in flight: the drain is over at once
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(tookMs < 5_000, "the shutdown waited " + tookMs + " ms for a linger");
    } finally {
      stopping.close();
    }
  }

  private static boolean refusesConnections(int port) {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean() && System.nanoTime() < until) {
      Thread.sleep(10);
    }
    assertTrue(condition.getAsBoolean());
  }
}
