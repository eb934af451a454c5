package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.store.EventKind;
import dev.parapet.core.store.EventRecord;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.policy.EnforcementEvents;
import dev.parapet.runtime.policy.OutputTally;
import dev.parapet.runtime.provider.StreamChunk;
import dev.parapet.runtime.stream.StreamGuard;
import dev.parapet.runtime.testing.AllLogs;
import java.math.BigDecimal;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The seam the drift lock and the stream guard plug into: veto before the first byte, cut a stream. */
class ExchangeObserverTest {
  private TestGateway gateway;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @AfterEach
  void stop() throws InterruptedException {
    gateway.close();
    LeakWatch.assertNoLeaks();
  }

  /** Refuses any reported model but {@code pinned}; cuts a stream after {@code maxPayloads}. */
  static ExchangeObserver policy(String pinned, int maxPayloads) {
    AtomicInteger seen = new AtomicInteger();
    return new ExchangeObserver() {
      @Override
      public Optional<Veto> beforeAnswer(GatewayRequest request, Optional<String> reportedModel) {
        return reportedModel.filter(m -> !m.equals(pinned))
            .map(m -> new Veto(ParapetError.MODEL_DRIFT, "the provider answered with another model"));
      }

      @Override
      public Optional<Veto> onStreamPayload(GatewayRequest request, StreamChunk payload) {
        return seen.incrementAndGet() > maxPayloads
            ? Optional.of(new Veto(ParapetError.STREAM_TRUNCATED, "output above max_tokens_out"))
            : Optional.empty();
      }
    };
  }

  HttpResponse<String> post(String body) throws Exception {
    return http.send(HttpRequest.newBuilder(gateway.uri("r")).timeout(Duration.ofSeconds(20))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void driftVetoesAWholeAnswer() throws Exception {
    gateway = new TestGateway(TestGateway.plainClient(), TestProviders.create(), r -> policy("gpt-4o-2024-05-13", 99));
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(200, "application/json", UpstreamProxyHandlerTest.OPENAI_ANSWER))) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      UpstreamProxyHandlerTest.assertRefusal(post(UpstreamProxyHandlerTest.ASK), 502, "model_drift");
      assertEquals(Optional.of(TestGateway.MODEL), gateway.nextCompleted().reportedModel());
    }
  }

  @Test
  void anOutputScanCanRefuseAWholeAnswer() throws Exception {
    ExchangeObserver scan = new ExchangeObserver() {
      @Override
      public Optional<Veto> onAnswer(GatewayRequest request, dev.parapet.runtime.provider.Translated answer) {
        return answer.body().toString().contains("\"hi\"")
            ? Optional.of(new Veto(ParapetError.REDACTION_BLOCKED, "the answer matched EMAIL"))
            : Optional.empty();
      }
    };
    gateway = new TestGateway(TestGateway.plainClient(), TestProviders.create(), r -> scan);
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(200, "application/json", UpstreamProxyHandlerTest.OPENAI_ANSWER))) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      UpstreamProxyHandlerTest.assertRefusal(post(UpstreamProxyHandlerTest.ASK), 422, "redaction_blocked");
    }
  }

  @Test
  void driftVetoesAStreamBeforeItsFirstByteAndClosesTheProvider() throws Exception {
    gateway = new TestGateway(TestGateway.plainClient(), TestProviders.create(), r -> policy("gpt-4o-2024-05-13", 99));
    CountDownLatch providerClosed = new CountDownLatch(1);
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      c.chunk("data: " + UpstreamStreamingTest.chunk("a") + "\n\n");
      if (c.awaitPeerClose()) {
        providerClosed.countDown();
      }
      c.close = true;
    })) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      UpstreamProxyHandlerTest.assertRefusal(post(UpstreamStreamingTest.STREAM_ASK), 502, "model_drift");
      assertTrue(providerClosed.await(5, TimeUnit.SECONDS));
    }
  }

  @Test
  void guardCutsAStreamWithOneEventThenDone() throws Exception {
    gateway = new TestGateway(TestGateway.plainClient(), TestProviders.create(), r -> policy(TestGateway.MODEL, 2));
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      for (int i = 0; i < 5; i++) {
        c.chunk("data: " + UpstreamStreamingTest.chunk("t" + i) + "\n\n");
      }
      c.chunk("data: [DONE]\n\n");
      c.endChunks();
    })) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      String body = post(UpstreamStreamingTest.STREAM_ASK).body();
      String[] events = body.split("\n\n");
      assertEquals(4, events.length, body);
      assertEquals("data: " + UpstreamStreamingTest.chunk("t1"), events[1]);
      assertTrue(events[2].startsWith("data: {\"error\":{\"type\":\"parapet_error\",\"code\":\"stream_truncated\""), events[2]);
      assertEquals("data: [DONE]", events[3]);
      assertEquals(Optional.of(ParapetError.STREAM_TRUNCATED), gateway.nextCompleted().error());
    }
  }

  /**
   * An echo stream whose observer throws (a policy's bug) ends with internal_error, and the
   * observers were not asked to decide what its caller had received: a card number held at its
   * end by the stream guard (first in the chain, so it saw the payload that failed) went unrecorded.
   * They are now told the stream is cut on that payload, which is not written, before the call
   * completes (the guard's decision itself: StreamEndScanEndToEndTest). No real policy throws on
   * demand, so a test observer does, over the real echo stream and sockets.
   */
  @Test
  void anEchoStreamAnObserverFailsOnIsCutForItsObservers() throws Exception {
    List<String> calls = new CopyOnWriteArrayList<>();
    gateway = new TestGateway(TestGateway.plainClient(), TestProviders.create(), r -> new ExchangeObserver() {
      @Override
      public Optional<Veto> onStreamPayload(GatewayRequest request, StreamChunk payload) {
        calls.add("payload");
        if (payload.json().contains("third")) {
          throw new IllegalStateException("a policy's bug");
        }
        return Optional.empty();
      }

      @Override
      public Optional<Veto> onStreamEnd(GatewayRequest request) {
        calls.add("end");
        return Optional.empty();
      }

      @Override
      public void onStreamCut(GatewayRequest request) {
        calls.add("cut");
      }
    });
    gateway.routes.put("echo", TestGateway.route("echo", ProviderType.ECHO, Optional.empty(), 1_000));
    HttpResponse<String> r = http.send(gateway.request("echo",
        "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"first second third fourth\"}]}"),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().contains("second"), r.body());
    assertFalse(r.body().contains("third"), "the payload that failed is not written: " + r.body());
    assertTrue(r.body().contains("\"code\":\"internal_error\""), r.body());
    assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
    assertEquals(Optional.of(ParapetError.INTERNAL_ERROR), gateway.nextCompleted().error());
    // role, first, second, third (which failed), then the cut, before the call completed
    assertEquals(List.of("payload", "payload", "payload", "payload", "cut"), calls);
  }

  /**
   * A provider's stream whose check throws on a chunk in an observer after the stream guard (a
   * policy's bug; the drift lock sits there) ends as a broken stream, and that chunk is not
   * written. The guard saw it, though, and was asked to decide the end on the text after it: its
   * digits turned the card number the caller had received into an order number, and the card went
   * unrecorded. Told the stream is cut on that chunk (as the echo stream is, 0048344), the guard
   * decides on what the caller received. A test chain (the real guard, then an observer that
   * throws) over a real provider stream and sockets.
   */
  @Test
  void aProviderStreamAnObserverFailsOnHasWhatItsCallerReceivedDecided() throws Exception {
    List<EventRecord> events = new CopyOnWriteArrayList<>();
    gateway = new TestGateway(TestGateway.plainClient(), TestProviders.create(),
        r -> new GuardThenBug(r, events, payload -> payload.json().contains("2345"), false));
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      c.chunk("data: " + UpstreamStreamingTest.chunk("Charge 4111 1111 1111 1111") + "\n\n");
      c.chunk("data: " + UpstreamStreamingTest.chunk("2345 is your order") + "\n\n");
      c.chunk("data: [DONE]\n\n");
      c.endChunks();
    })) {
      gateway.routes.put("r", cardScanned(provider));
      HttpResponse<String> r = post(UpstreamStreamingTest.STREAM_ASK);
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(r.body().contains("Charge 4111 1111 1111 1111"), r.body());
      assertFalse(r.body().contains("2345"), "the chunk that failed is not written: " + r.body());
      assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
      RequestCompleted done = gateway.nextCompleted();
      assertTrue(done.request().orElseThrow().noted("stream_truncated:scan_output:CREDIT_CARD"),
          "the card the caller received is decided: " + done.request().orElseThrow().notes());
      assertEquals(List.of(EventKind.STREAM_TRUNCATED), events.stream().map(EventRecord::kind).toList());
    }
  }

  /**
   * An observer after the stream guard throws at a provider stream's {@code [DONE]} (a policy's
   * bug, while the end is being decided): the observers are not asked to decide the end a second
   * time as for a stream the provider broke off ({@link ExchangeObserver#onStreamEnd}: once at
   * most; the echo stream already skips it). The guard's one verdict on the card the caller
   * received stands: its one event and note, no second failing check in the log.
   */
  @Test
  void anObserverThatFailsAtAProviderStreamsEndIsAskedOnce() throws Exception {
    List<EventRecord> events = new CopyOnWriteArrayList<>();
    AtomicInteger ends = new AtomicInteger();
    gateway = new TestGateway(TestGateway.plainClient(), TestProviders.create(), r -> new GuardThenBug(r, events,
        payload -> false, true) {
      @Override
      public Optional<Veto> onStreamEnd(GatewayRequest request) {
        ends.incrementAndGet();
        return super.onStreamEnd(request);
      }
    });
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      c.chunk("data: " + UpstreamStreamingTest.chunk("Charge 4111 1111 1111 1111") + "\n\n");
      c.chunk("data: [DONE]\n\n");
      c.endChunks();
    }); AllLogs logs = AllLogs.capture()) {
      gateway.routes.put("r", cardScanned(provider));
      HttpResponse<String> r = post(UpstreamStreamingTest.STREAM_ASK);
      assertEquals(200, r.statusCode(), r.body());
      String[] sse = r.body().split("\n\n");
      assertEquals("data: " + UpstreamStreamingTest.chunk("Charge 4111 1111 1111 1111"), sse[0], r.body());
      assertErrorEvent(sse[1], r);
      assertEquals("data: [DONE]", sse[2], r.body());
      assertEquals(3, sse.length, r.body());
      RequestCompleted done = gateway.nextCompleted();
      assertEquals(1, ends.get(), "onStreamEnd is called once at most");
      assertOneObserverFailure(logs, done, "the stream's end");
      assertEquals(List.of(EventKind.STREAM_TRUNCATED), events.stream().map(EventRecord::kind).toList());
      assertTrue(done.request().orElseThrow().noted("stream_truncated:scan_output:CREDIT_CARD"),
          done.request().orElseThrow().notes().toString());
      assertEquals(List.of(), logs.messages().stream().filter(m -> m.contains("could not be checked")).toList());
    }
  }

  /**
   * An observer after the stream guard throws on a chunk of a provider's stream (a policy's bug):
   * the provider did nothing wrong, so the caller's stream ends as the echo stream's does, with one
   * {@code internal_error} event in our words then {@code [DONE]}, not "the provider sent a
   * malformed answer"; the log line says an answer policy failed, by the exception's class and the
   * request id (never its message), with no provider {@code reason=}; the call carries no
   * provider failure, so no {@code upstream_error} event is recorded (RequestRecorder records one
   * for 502/504 codes only). The settlement is what it was: the worst case, as for an answer that
   * could not be read (the tally has output no count read).
   */
  @Test
  void anObserverThatFailsOnAProviderChunkEndsTheStreamWithInternalError() throws Exception {
    List<EventRecord> events = new CopyOnWriteArrayList<>();
    List<GuardThenBug> chains = startGuardThenBug(events, "2345");
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      c.chunk("data: " + UpstreamStreamingTest.chunk("Charge 4111 1111 1111 1111") + "\n\n");
      c.chunk("data: " + UpstreamStreamingTest.chunk("2345 is your order") + "\n\n");
      c.chunk("data: [DONE]\n\n");
      c.endChunks();
    }); AllLogs logs = AllLogs.capture()) {
      gateway.routes.put("r", cardScanned(provider));
      HttpResponse<String> r = post(UpstreamStreamingTest.STREAM_ASK);
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"), r.headers().toString());
      String[] sse = r.body().split("\n\n");
      assertEquals(3, sse.length, r.body());
      assertEquals("data: " + UpstreamStreamingTest.chunk("Charge 4111 1111 1111 1111"), sse[0], r.body());
      assertErrorEvent(sse[1], r);
      assertEquals("data: [DONE]", sse[2], r.body());
      RequestCompleted done = gateway.nextCompleted();
      assertEquals(200, done.status());
      assertOneObserverFailure(logs, done, "a chunk");
      assertEquals(List.of(EventKind.STREAM_TRUNCATED), events.stream().map(EventRecord::kind).toList());
      assertTrue(done.request().orElseThrow().noted("stream_truncated:scan_output:CREDIT_CARD"),
          done.request().orElseThrow().notes().toString());
      assertTrue(chains.get(0).tally.hasUncountedOutput(), "settled at the worst case, as before");
    }
  }

  /**
   * The same bug on the first chunk, before the stream's head went out: a plain 500
   * {@code internal_error} in SPEC's error shape, not a 502 {@code upstream_error}; nothing of the
   * answer reaches the caller, and the call is settled at the worst case as before.
   */
  @Test
  void anObserverThatFailsBeforeAProviderStreamStartedAnswers500() throws Exception {
    List<EventRecord> events = new CopyOnWriteArrayList<>();
    List<GuardThenBug> chains = startGuardThenBug(events, "first");
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      c.chunk("data: " + UpstreamStreamingTest.chunk("first") + "\n\n");
      c.chunk("data: [DONE]\n\n");
      c.endChunks();
    }); AllLogs logs = AllLogs.capture()) {
      gateway.routes.put("r", cardScanned(provider));
      HttpResponse<String> r = post(UpstreamStreamingTest.STREAM_ASK);
      UpstreamProxyHandlerTest.assertRefusal(r, 500, "internal_error");
      assertEquals("the answer could not be processed",
          TestProviders.JSON.readTree(r.body()).path("error").path("message").asText(), r.body());
      RequestCompleted done = gateway.nextCompleted();
      assertEquals(500, done.status());
      assertOneObserverFailure(logs, done, "a chunk");
      assertEquals(List.of(), events);
      assertTrue(chains.get(0).tally.hasUncountedOutput(), "settled at the worst case, as before");
    }
  }

  /** One SSE event: SPEC's error shape, code internal_error, our fixed words, the call's request id. */
  private static void assertErrorEvent(String event, HttpResponse<String> r) throws Exception {
    assertTrue(event.startsWith("data: "), r.body());
    JsonNode error = TestProviders.JSON.readTree(event.substring("data: ".length())).path("error");
    assertEquals("parapet_error", error.path("type").asText(), event);
    assertEquals("internal_error", error.path("code").asText(), event);
    assertEquals("the answer could not be processed", error.path("message").asText(), event);
    assertEquals(r.headers().firstValue("x-parapet-request-id").orElseThrow(), error.path("request_id").asText(), event);
  }

  /**
   * The call ended on an answer policy's bug, not the provider's: internal_error, no provider
   * failure (so no upstream_error event), and one ERROR line naming the exception's class and the
   * request id, never its message; no provider reason= line.
   */
  private static void assertOneObserverFailure(AllLogs logs, RequestCompleted done, String checking) {
    assertEquals(Optional.of(ParapetError.INTERNAL_ERROR), done.error());
    assertEquals(Optional.empty(), done.upstreamReason());
    List<String> messages = logs.messages();
    assertEquals(List.of("route=r request_id=" + done.requestId() + ": an answer policy failed checking " + checking
        + " (java.lang.IllegalStateException); answered internal_error"),
        messages.stream().filter(m -> m.contains("answer policy failed")).toList());
    assertTrue(logs.lines().stream().filter(l -> l.contains("answer policy failed"))
        .allMatch(l -> l.startsWith("ERROR " + StreamedAnswer.class.getName() + " ")), logs.lines().toString());
    assertEquals(List.of(), messages.stream().filter(m -> m.contains(" reason=") || m.contains("upstream_error")
        || m.contains("a policy's bug") || m.contains("could not be checked")).toList());
  }

  /** A stream guard scanning for card numbers on a provider route. */
  private static Route cardScanned(FakeProvider provider) {
    return new Route("r", "prod",
        new ProviderSpec(ProviderType.OPENAI, TestGateway.MODEL, Optional.of(TestGateway.KEY_REF),
            Optional.of(provider.baseUrl("http", "127.0.0.1")), List.of(), Optional.empty(), 5_000),
        new Policy(100_000, 100_000, BigDecimal.TEN, false,
            new RedactionPolicy(RedactionMode.BLOCK, List.of(RedactionPattern.CREDIT_CARD), true)));
  }

  /**
   * The real stream guard, first in the chain as in PolicyStages, then an observer with a bug: it
   * throws on the chunks {@code failOn} picks, after the guard let them through, and at the
   * stream's end after the guard decided it, if {@code failAtEnd}. No real policy throws on demand.
   */
  /** A gateway whose answer chain is the stream guard then a bug on the chunk holding {@code failOnText}; its chains. */
  private List<GuardThenBug> startGuardThenBug(List<EventRecord> events, String failOnText) throws Exception {
    List<GuardThenBug> chains = new CopyOnWriteArrayList<>();
    gateway = new TestGateway(TestGateway.plainClient(), TestProviders.create(), r -> {
      GuardThenBug chain = new GuardThenBug(r, events, payload -> payload.json().contains(failOnText), false);
      chains.add(chain);
      return chain;
    });
    return chains;
  }

  static class GuardThenBug implements ExchangeObserver {
    private final StreamGuard guard;
    final OutputTally tally = new OutputTally();
    private final Predicate<StreamChunk> failOn;
    private final boolean failAtEnd;

    GuardThenBug(GatewayRequest r, List<EventRecord> events, Predicate<StreamChunk> failOn, boolean failAtEnd) {
      this.guard = new StreamGuard(r, tally, EnforcementEvents.into(events::add));
      this.failOn = failOn;
      this.failAtEnd = failAtEnd;
    }

    @Override
    public void onAway() {
      guard.onAway();
    }

    @Override
    public void onBack() {
      guard.onBack();
    }

    @Override
    public void onUnreadableAnswer() {
      guard.onUnreadableAnswer();
    }

    @Override
    public Optional<Veto> beforeAnswer(GatewayRequest request, Optional<String> reportedModel) {
      return guard.beforeAnswer(request, reportedModel);
    }

    @Override
    public Optional<Veto> onStreamPayload(GatewayRequest request, StreamChunk payload) {
      Optional<Veto> veto = guard.onStreamPayload(request, payload);
      if (veto.isEmpty() && failOn.test(payload)) {
        throw new IllegalStateException("a policy's bug, after the guard");
      }
      return veto;
    }

    @Override
    public Optional<Veto> onStreamEnd(GatewayRequest request) {
      Optional<Veto> veto = guard.onStreamEnd(request);
      if (failAtEnd) {
        throw new IllegalStateException("a policy's bug at the end, after the guard");
      }
      return veto;
    }

    @Override
    public void onStreamCut(GatewayRequest request) {
      guard.onStreamCut(request);
    }
  }
}
