package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderType;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.provider.Usage;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Streamed calls end to end: framing, flushing, failures mid-stream, disconnects, concurrency. */
class UpstreamStreamingTest {
  static final String STREAM_ASK = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";

  static String chunk(String text) {
    return "{\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + text + "\"}}]}";
  }

  private TestGateway gateway;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() throws Exception {
    gateway = new TestGateway();
  }

  @AfterEach
  void stop() throws InterruptedException {
    gateway.close();
    LeakWatch.assertNoLeaks();
  }

  HttpRequest request(String route, String body) {
    return HttpRequest.newBuilder(gateway.uri(route)).timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  @Test
  void relaysEveryEventFramedExactlyOnceEndingWithDone() throws Exception {
    String a = chunk("Hel");
    String b = chunk("lo");
    String usage = "{\"model\":\"gpt-4o-2024-08-06\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}";
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead("x-request-id: prov-9", "set-cookie: no=1");
      c.chunk(": keep-alive comment\n\ndata: " + a.substring(0, 10)); // an event split across chunks
      c.chunk(a.substring(10) + "\n\ndata: " + b + "\n\n");          // two events in one chunk
      c.chunk("data: " + usage + "\n\ndata: [DONE]\n\n");
      c.endChunks();
    })) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      HttpResponse<String> res = http.send(request("r", STREAM_ASK.replace("{\"stream\":true,",
          "{\"stream\":true,\"stream_options\":{\"include_usage\":true},")), HttpResponse.BodyHandlers.ofString());

      assertEquals(200, res.statusCode());
      assertEquals("data: " + a + "\n\ndata: " + b + "\n\ndata: " + usage + "\n\ndata: [DONE]\n\n", res.body());
      assertEquals("text/event-stream", res.headers().firstValue("content-type").orElseThrow());
      assertEquals("no-cache", res.headers().firstValue("cache-control").orElseThrow());
      assertEquals("prov-9", res.headers().firstValue("x-upstream-request-id").orElseThrow());
      assertTrue(res.headers().firstValue("x-parapet-request-id").isPresent());
      assertFalse(res.headers().firstValue("set-cookie").isPresent());
      RequestCompleted done = gateway.nextCompleted();
      assertEquals(200, done.status());
      assertEquals(Optional.empty(), done.error());
      assertEquals(Optional.of(new Usage(5, 2)), done.usage());
      assertEquals(Optional.of(TestGateway.MODEL), done.reportedModel());
    }
  }

  @Test
  void flushesEachEventBeforeTheNextIsSent() throws Exception {
    CountDownLatch clientSawFirst = new CountDownLatch(1);
    AtomicBoolean seenInTime = new AtomicBoolean();
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      c.chunk("data: " + chunk("one") + "\n\n");
      seenInTime.set(clientSawFirst.await(10, TimeUnit.SECONDS));
      c.chunk("data: " + chunk("two") + "\n\ndata: [DONE]\n\n");
      c.endChunks();
    })) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 15_000);
      HttpResponse<InputStream> res = http.send(request("r", STREAM_ASK), HttpResponse.BodyHandlers.ofInputStream());
      List<String> lines = new ArrayList<>();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
        for (String l = r.readLine(); l != null; l = r.readLine()) {
          lines.add(l);
          if (l.contains("one")) {
            clientSawFirst.countDown();
          }
        }
      }
      assertTrue(seenInTime.get(), "the first event reached the client while the provider waited");
      assertEquals(List.of("data: " + chunk("one"), "", "data: " + chunk("two"), "", "data: [DONE]", ""), lines);
    }
  }

  @Test
  void providerClosingMidStreamEndsWithAnErrorEventThenDone() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      c.chunk("data: " + chunk("par") + "\n\n");
      Thread.sleep(100);
      c.close = true; // gone without the last chunk
    })) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      String body = http.send(request("r", STREAM_ASK), HttpResponse.BodyHandlers.ofString()).body();
      String[] events = body.split("\n\n");
      assertEquals(3, events.length, body);
      assertEquals("data: " + chunk("par"), events[0]);
      assertTrue(events[1].startsWith("data: {\"error\":{\"type\":\"parapet_error\",\"code\":\"upstream_error\""), events[1]);
      assertEquals("data: [DONE]", events[2]);
      assertTrue(body.endsWith("data: [DONE]\n\n"));
      RequestCompleted done = gateway.nextCompleted();
      assertEquals(200, done.status());
      assertEquals(Optional.of(ParapetError.UPSTREAM_ERROR), done.error());
    }
  }

  @Test
  void gapLongerThanTimeoutEndsTheStream() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      c.chunk("data: " + chunk("a") + "\n\n");
      c.awaitPeerClose();
    })) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 400);
      String body = http.send(request("r", STREAM_ASK), HttpResponse.BodyHandlers.ofString()).body();
      assertTrue(body.startsWith("data: " + chunk("a") + "\n\ndata: {\"error\""), body);
      assertTrue(body.endsWith("\n\ndata: [DONE]\n\n"), body);
      assertEquals(Optional.of(ParapetError.UPSTREAM_TIMEOUT), gateway.nextCompleted().error());
    }
  }

  @Test
  void theCallerIsDoneAtDoneEvenIfTheProviderLingers() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      c.chunk("data: " + chunk("a") + "\n\ndata: [DONE]\n\n");
      c.awaitPeerClose(); // never sends the last chunk
      c.close = true;
    })) {
      // The gap timeout is a minute: ending well before it shows [DONE] ended the answer.
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 60_000);
      long t0 = System.nanoTime();
      String body = http.send(request("r", STREAM_ASK), HttpResponse.BodyHandlers.ofString()).body();
      assertEquals("data: " + chunk("a") + "\n\ndata: [DONE]\n\n", body);
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30));
      assertEquals(Optional.empty(), gateway.nextCompleted().error());
    }
  }

  @Test
  void aStreamAnsweredWithPlainJsonIs502() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(200, "application/json", "{\"choices\":[]}"))) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      HttpResponse<String> res = http.send(request("r", STREAM_ASK), HttpResponse.BodyHandlers.ofString());
      UpstreamProxyHandlerTest.assertRefusal(res, 502, "upstream_error");
    }
  }

  @Test
  void aStreamThatNeverEndsIsCutAtTheTotalCap() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      for (int i = 0; i < 1200; i++) { // never a gap, never an end (for 60 s)
        c.chunk("data: " + chunk("t") + "\n\n");
        Thread.sleep(50);
      }
    })) {
      // Gap timeout 1 s against a chunk every 50 ms: even a loaded machine (a CI box at load 15
      // once made a 600 ms gap) keeps the gaps short, so only the total cap (10 x 1 s) can end it.
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 1_000);
      long t0 = System.nanoTime();
      String body = http.send(request("r", STREAM_ASK), HttpResponse.BodyHandlers.ofString()).body();
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertTrue(ms >= 9_500 && ms < 45_000, "cut after " + ms + " ms");
      assertTrue(body.endsWith("\n\ndata: [DONE]\n\n"), body);
      assertTrue(body.contains("\"code\":\"upstream_error\""), body);
      assertEquals(Optional.of(ParapetError.UPSTREAM_TIMEOUT), gateway.nextCompleted().error());
    }
  }

  @Test
  void refusalBeforeTheStreamIsAPlainError() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(429, "application/json",
        "{\"error\":{\"message\":\"slow down\"}}", "retry-after: 7"))) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      HttpResponse<String> res = http.send(request("r", STREAM_ASK), HttpResponse.BodyHandlers.ofString());
      assertEquals(429, res.statusCode());
      assertEquals("7", res.headers().firstValue("retry-after").orElseThrow());
      assertEquals("{\"error\":{\"message\":\"slow down\"}}", res.body());
    }
  }

  /**
   * The front stops reading the caller while a request is in flight, so on NIO a hang-up shows at
   * our next write to it (on epoll, EPOLLRDHUP shows it at once); the upstream connection must
   * then close at once, not drain into the pool.
   */
  @Test
  void callerDisconnectClosesTheUpstreamConnection() throws Exception {
    CountDownLatch upstreamClosed = new CountDownLatch(1);
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      c.chunk("data: " + chunk("first") + "\n\n");
      try {
        for (int i = 0; i < 400; i++) { // keeps talking, as a model does, until the gateway hangs up
          Thread.sleep(25);
          c.chunk("data: " + chunk("more") + "\n\n");
        }
      } catch (java.io.IOException e) {
        upstreamClosed.countDown();
      }
      c.close = true;
    })) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 30_000);
      try (Socket s = new Socket("127.0.0.1", gateway.port())) {
        rawPost(s.getOutputStream(), STREAM_ASK);
        BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        for (String l = r.readLine(); l != null && !l.contains("first"); l = r.readLine()) {
          // skip the head
        }
      }
      assertTrue(upstreamClosed.await(10, TimeUnit.SECONDS), "the provider saw the gateway hang up");
      assertEquals(RequestCompleted.CALLER_GONE, gateway.nextCompleted().status());
    }
  }

  @Test
  void echoStreams() throws Exception {
    gateway.routes.put("demo", TestGateway.route("demo", ProviderType.ECHO, Optional.empty(), 1_000));
    HttpResponse<String> res = http.send(request("demo", STREAM_ASK), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, res.statusCode());
    assertEquals("text/event-stream", res.headers().firstValue("content-type").orElseThrow());
    String[] events = res.body().split("\n\n", -1);
    assertTrue(events.length >= 4, res.body());
    for (int i = 0; i < events.length - 2; i++) {
      assertTrue(events[i].startsWith("data: {\"id\":"), events[i]);
    }
    assertEquals("data: [DONE]", events[events.length - 2]);
    assertEquals("", events[events.length - 1]);
    assertTrue(res.body().contains("hello"));
    assertTrue(gateway.nextCompleted().usage().orElseThrow().completionTokens() > 0);
  }

  /**
   * An echo may stream up to max_tokens_out payloads: it is written a batch per loop task, so both
   * loops answer other calls while it streams (one task for all of them held a loop for seconds),
   * and it waits while the caller does not read (the connection's writability), so it never sits
   * whole in the outbound buffer and the call ends only once its last byte could be written.
   */
  @Test
  void aLongEchoLeavesTheLoopsFreeAndWaitsForACallerThatStopsReading() throws Exception {
    gateway.routes.put("demo", TestGateway.route("demo", ProviderType.ECHO, Optional.empty(), 1_000));
    int words = 40_000; // ~7 MB of SSE frames: more than the kernel's socket buffers take
    String text = "hello ".repeat(words).trim();
    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(8 * 1024);
      s.connect(new InetSocketAddress("127.0.0.1", gateway.port()));
      rawPost(s.getOutputStream(), "demo", "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}");
      s.setSoTimeout(20_000);
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[64 * 1024];
      got.write(buf, 0, in.read(buf)); // the echo has begun

      for (int i = 0; i < 2; i++) { // two fresh connections: one on each of the gateway's loops
        try (Socket probe = new Socket("127.0.0.1", gateway.port())) {
          probe.setSoTimeout(2_000);
          rawPost(probe.getOutputStream(), "demo", "{\"messages\":[{\"role\":\"user\",\"content\":\"ping\"}]}");
          byte[] head = probe.getInputStream().readNBytes(12);
          assertEquals("HTTP/1.1 200", new String(head, StandardCharsets.US_ASCII), "answered while the echo streams");
        }
        assertEquals(200, gateway.nextCompleted().status());
      }
      assertEquals(null, gateway.completed.poll(300, TimeUnit.MILLISECONDS), "the echo waits for its caller to read");

      while (!got.toString(StandardCharsets.UTF_8).endsWith("data: [DONE]\n\n\r\n0\r\n\r\n")) {
        int n = in.read(buf);
        assertTrue(n > 0, "the stream ended early");
        got.write(buf, 0, n);
      }
      String body = got.toString(StandardCharsets.UTF_8);
      // Pieces split before whitespace, as a provider's tokens fall: "hello", then " hello" each.
      assertEquals(words, body.split("\"content\":\" ?hello\"", -1).length - 1, "every word once");
      assertTrue(body.lastIndexOf("hello") < body.indexOf("\"finish_reason\":\"stop\""), "in order");
    }
    RequestCompleted done = gateway.nextCompleted();
    assertEquals(200, done.status());
    assertEquals(TokenCounter.forModel(ProviderType.ECHO, TestGateway.MODEL).count(text),
        done.usage().orElseThrow().completionTokens());
  }

  @Test
  void twoHundredConcurrentStreamsEachGetTheirOwnAnswer() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      String who = TestProviders.JSON.readTree(req.body()).at("/messages/0/content").asText();
      c.sseHead();
      c.chunk("data: " + chunk(who) + "\n\n");
      Thread.sleep(20);
      c.chunk("data: " + chunk(who + "-end") + "\n\ndata: [DONE]\n\n");
      c.endChunks();
    })) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 20_000);
      List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        String ask = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"c" + i + "\"}]}";
        calls.add(http.sendAsync(request("r", ask), HttpResponse.BodyHandlers.ofString()));
      }
      for (int i = 0; i < 200; i++) {
        HttpResponse<String> res = calls.get(i).get(60, TimeUnit.SECONDS);
        assertEquals(200, res.statusCode());
        assertEquals("data: " + chunk("c" + i) + "\n\ndata: " + chunk("c" + i + "-end") + "\n\ndata: [DONE]\n\n", res.body());
      }
      for (int i = 0; i < 200; i++) {
        assertEquals(200, gateway.nextCompleted().status());
      }
    }
  }

  static void rawPost(OutputStream out, String body) throws java.io.IOException {
    rawPost(out, "r", body);
  }

  static void rawPost(OutputStream out, String route, String body) throws java.io.IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    out.write(("POST /routes/" + route + " HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\n"
        + "content-length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(b);
    out.flush();
  }
}
