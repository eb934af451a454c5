package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderType;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.provider.StreamChunk;
import dev.parapet.runtime.provider.Translated;
import dev.parapet.runtime.provider.Usage;
import dev.parapet.runtime.testing.AllLogs;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which 2xx answers the loop reads are settled on what they carried, and which as unreadable, at
 * their worst case ({@link ExchangeObserver#onUnreadableAnswer}).
 *
 * <ul>
 *   <li>A streamed event is read with the same number bound as a whole answer (10,000 digits,
 *       {@link dev.parapet.runtime.provider.Json#MAX_NUMBER_DIGITS}): a provider that writes a long
 *       number into an event (a tool call's input, a vendor field) has its stream relayed and
 *       settled on its usage, not cut with an {@code upstream_error}. A longer number still is
 *       unreadable.
 *   <li>A bug in a policy (or a translator) that throws on a small answer, checked on the loop,
 *       ends the call as the same bug on a large one does on a policy thread (LargeStreamEventTest,
 *       LargeWholeAnswerTest): a stream with one {@code internal_error} event in our words and
 *       {@code [DONE]} (the provider did nothing wrong), settled at the worst case as an unreadable
 *       answer is, a whole answer with 500 {@code internal_error} settled on the usage it reported; the call ended once, never left unanswered, and the bug logged by its class,
 *       never by its message.
 *   <li>A stream the provider answered 2xx and dropped before its first event is unreadable, as a
 *       whole answer cut off after its head is.
 * </ul>
 */
class ReadableAnswersTest {
  private static final String LONG = "1" + "0".repeat(1_500);
  private static final String TOO_LONG = "1" + "0".repeat(20_000);
  private static final String FIRST = UpstreamStreamingTest.chunk("first");
  private static final String BAD = UpstreamStreamingTest.chunk("bad");
  private static final String EVENTS = "data: " + FIRST + "\n\ndata: " + BAD + "\n\ndata: "
      + UpstreamStreamingTest.chunk("after") + "\n\ndata: [DONE]\n\n";

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final AtomicInteger unreadable = new AtomicInteger();
  private TestGateway gateway;

  @BeforeEach
  void start() throws Exception {
    gateway = new TestGateway(TestGateway.plainClient(), TestProviders.create(), r -> new ExchangeObserver() {
      @Override
      public Optional<Veto> onStreamPayload(GatewayRequest request, StreamChunk payload) {
        if (payload.json().equals(BAD)) {
          throw new IllegalStateException("a policy's bug");
        }
        return Optional.empty();
      }

      @Override
      public Optional<Veto> onAnswer(GatewayRequest request, Translated answer) {
        throw new IllegalStateException("a policy's bug");
      }

      @Override
      public void onUnreadableAnswer() {
        unreadable.incrementAndGet();
      }
    });
  }

  @AfterEach
  void stop() throws InterruptedException {
    gateway.close();
    LeakWatch.assertNoLeaks();
  }

  private static String openAiStream(String number) {
    return "data: {\"model\":\"gpt-4o-2024-08-06\",\"x_seed\":" + number
        + ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n"
        + "data: {\"model\":\"gpt-4o-2024-08-06\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\n"
        + "data: [DONE]\n\n";
  }

  /** A streamed call to an openai route whose provider streams {@link #openAiStream}{@code (number)}. */
  private HttpResponse<String> openAiCall(String number) throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      c.chunk(openAiStream(number));
      c.endChunks();
    })) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      return http.send(gateway.request("r", UpstreamStreamingTest.STREAM_ASK), HttpResponse.BodyHandlers.ofString());
    }
  }

  @Test
  void anOpenAiEventWithALongNumberIsRelayedAndSettledOnItsUsage() throws Exception {
    String body = openAiCall(LONG).body();
    assertTrue(body.contains("\"x_seed\":" + LONG), body.length() > 300 ? body.substring(0, 300) : body);
    assertTrue(body.endsWith("data: [DONE]\n\n"), body);
    RequestCompleted done = gateway.nextCompleted();
    assertEquals(Optional.empty(), done.error());
    assertEquals(Optional.of(new Usage(5, 2)), done.usage());
    assertEquals(0, unreadable.get());
  }

  @Test
  void anEventWithANumberPastTheBoundIsStillUnreadable() throws Exception {
    UpstreamProxyHandlerTest.assertRefusal(openAiCall(TOO_LONG), 502, "upstream_error");
    assertEquals(Optional.of(ParapetError.UPSTREAM_ERROR), gateway.nextCompleted().error());
    assertEquals(1, unreadable.get());
  }

  @Test
  void anAnthropicEventWithALongNumberIsRelayedAndSettledOnItsUsage() throws Exception {
    String model = AnthropicUpstreamTest.MODEL;
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      c.chunk("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
          + "\"role\":\"assistant\",\"model\":\"" + model + "\",\"content\":[],\"usage\":{\"input_tokens\":5,"
          + "\"output_tokens\":1}}}\n\n"
          + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
          + "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"store\",\"input\":{\"x\":" + LONG + "}}}\n\n"
          + "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
          + "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},"
          + "\"usage\":{\"output_tokens\":7}}\n\n"
          + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
      c.endChunks();
    })) {
      gateway.routes.put("claude", TestGateway.route("claude", ProviderType.ANTHROPIC,
          Optional.of(provider.baseUrl("http", "127.0.0.1")), 5_000));
      String body = http.send(gateway.request("claude", UpstreamStreamingTest.STREAM_ASK),
          HttpResponse.BodyHandlers.ofString()).body();
      assertTrue(body.contains("\"finish_reason\":\"tool_calls\""), body.length() > 300 ? body.substring(0, 300) : body);
      assertTrue(body.endsWith("data: [DONE]\n\n"), body);
      RequestCompleted done = gateway.nextCompleted();
      assertEquals(Optional.empty(), done.error());
      assertEquals(Optional.of(new Usage(5, 7)), done.usage());
      assertEquals(0, unreadable.get());
    }
  }

  /** The body of the answer to {@code ask}, asserting the bug was logged as it should be. */
  private String answer(FakeProvider.Script script, String ask, int status) throws Exception {
    try (FakeProvider provider = new FakeProvider(script); AllLogs logs = AllLogs.capture()) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      HttpResponse<String> res = http.send(gateway.request("r", ask), HttpResponse.BodyHandlers.ofString());
      assertEquals(status, res.statusCode(), res.body());
      assertFalse(res.body().contains("bug"), "our words, not the exception's");
      List<String> lines = logs.lines();
      assertTrue(lines.stream().anyMatch(l -> l.startsWith("ERROR") && l.contains("IllegalStateException")),
          "the bug is logged: " + lines);
      assertEquals(List.of(), lines.stream().filter(l -> l.contains("a policy's bug")).toList(), "by its class only");
      return res.body();
    }
  }

  private void assertStreamEndedByTheBug(FakeProvider.Script script) throws Exception {
    String body = answer(script, UpstreamStreamingTest.STREAM_ASK, 200);
    String[] sent = body.split("\n\n");
    assertEquals(3, sent.length, body);
    assertEquals("data: " + FIRST, sent[0]);
    assertTrue(sent[1].startsWith("data: {\"error\":{\"type\":\"parapet_error\",\"code\":\"internal_error\""), sent[1]);
    assertEquals("data: [DONE]", sent[2]);
    RequestCompleted done = gateway.nextCompleted();
    assertEquals(Optional.of(ParapetError.INTERNAL_ERROR), done.error());
    assertEquals(Optional.empty(), done.upstreamReason(), "no provider failure: no upstream_error event");
    assertEquals(1, unreadable.get(), "settled at the worst case");
    assertNull(gateway.completed.poll(300, TimeUnit.MILLISECONDS), "ended once");
  }

  @Test
  void onAChunkedStream() throws Exception {
    assertStreamEndedByTheBug((req, c) -> {
      c.sseHead();
      c.chunk(EVENTS);
      c.endChunks();
    });
  }

  @Test
  void onAStreamOfOneLengthDelimitedPiece() throws Exception {
    assertStreamEndedByTheBug((req, c) -> c.full(200, "text/event-stream", EVENTS));
  }

  @Test
  void onAWholeAnswer() throws Exception {
    String body = answer((req, c) -> c.full(200, "application/json", UpstreamProxyHandlerTest.OPENAI_ANSWER),
        UpstreamProxyHandlerTest.ASK, 500);
    assertTrue(body.contains("\"code\":\"internal_error\""), body);
    RequestCompleted done = gateway.nextCompleted();
    assertEquals(Optional.of(ParapetError.INTERNAL_ERROR), done.error());
    assertEquals(Optional.of(new Usage(7, 1)), done.usage(), "settled on what the provider reported");
    assertEquals(0, unreadable.get(), "the answer was read: it is not charged as unreadable");
    assertNull(gateway.completed.poll(300, TimeUnit.MILLISECONDS), "ended once");
  }

  /**
   * A provider that answers a stream 2xx and drops the connection before its first event has begun
   * an answer it may bill, as a whole answer cut off after its head has: the caller gets a 502, and
   * the call is settled at its worst case, not released (docs/enforcement.md: "a 2xx answer that
   * could not be read: ... cut off after its head").
   */
  @Test
  void aStreamDroppedAfterItsHeadBeforeAnyEventIsUnreadable() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      c.chunk(": still thinking\n\n");
      Thread.sleep(100);
      c.reset();
    })) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      HttpResponse<String> res = http.send(gateway.request("r", UpstreamStreamingTest.STREAM_ASK),
          HttpResponse.BodyHandlers.ofString());
      UpstreamProxyHandlerTest.assertRefusal(res, 502, "upstream_error");
      assertEquals(Optional.of(ParapetError.UPSTREAM_ERROR), gateway.nextCompleted().error());
      assertEquals(1, unreadable.get());
    }
  }
}
