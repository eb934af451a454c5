package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderType;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.provider.Usage;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A streamed event is read with the same number bound as a whole answer (10,000 digits, {@link
 * dev.parapet.runtime.provider.Json#MAX_NUMBER_DIGITS}): a provider that writes a long number into an event (a tool
 * call's input, a vendor field) has its stream relayed and settled on its usage, not cut with an
 * {@code upstream_error} and charged the worst case. A longer number still is.
 */
class StreamEventNumbersTest {
  private static final String LONG = "1" + "0".repeat(1_500);
  private static final String TOO_LONG = "1" + "0".repeat(20_000);

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final AtomicInteger unreadable = new AtomicInteger();
  private TestGateway gateway;

  @BeforeEach
  void start() throws Exception {
    gateway = new TestGateway(TestGateway.plainClient(), TestProviders.create(), r -> new ExchangeObserver() {
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
}
