package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderType;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.provider.Usage;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The anthropic route through the real adapter: its key header, and both answer shapes. */
class AnthropicUpstreamTest {
  static final String MODEL = "claude-sonnet-4-20250514";

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

  HttpResponse<String> post(String body) throws Exception {
    return http.send(HttpRequest.newBuilder(gateway.uri("claude")).timeout(Duration.ofSeconds(20))
        .header("authorization", "Bearer caller-token")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  void route(FakeProvider provider) {
    gateway.routes.put("claude", TestGateway.route("claude", ProviderType.ANTHROPIC,
        Optional.of(provider.baseUrl("http", "127.0.0.1")), 5_000));
  }

  @Test
  void sendsTheKeyAsXApiKeyAndTranslatesTheAnswer() throws Exception {
    String answer = "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + MODEL + "\","
        + "\"content\":[{\"type\":\"text\",\"text\":\"hi there\"}],\"stop_reason\":\"end_turn\","
        + "\"usage\":{\"input_tokens\":5,\"output_tokens\":2}}";
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(200, "application/json", answer, "request-id: req_abc"))) {
      route(provider);
      // safety_identifier (OpenAI's successor to user) names the end user; prompt_cache_key only steers caching
      HttpResponse<String> res = post("{\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],"
          + "\"safety_identifier\":\"user-7f3a\",\"prompt_cache_key\":\"support-bot\"}");
      assertEquals(200, res.statusCode(), res.body());
      assertEquals("hi there", TestProviders.JSON.readTree(res.body()).at("/choices/0/message/content").asText());
      assertEquals("req_abc", res.headers().firstValue("x-upstream-request-id").orElseThrow());

      FakeProvider.Recorded sent = provider.received.poll(5, TimeUnit.SECONDS);
      assertEquals("/v1/messages", sent.target());
      assertEquals("user-7f3a", TestProviders.JSON.readTree(sent.body()).at("/metadata/user_id").asText());
      assertFalse(sent.body().contains("support-bot"), "caching hints stay here");
      assertEquals(TestGateway.PROVIDER_KEY, sent.headers().get("x-api-key"));
      assertTrue(sent.headers().containsKey("anthropic-version"));
      assertFalse(sent.headers().containsKey("authorization"));
      RequestCompleted done = gateway.nextCompleted();
      assertEquals(Optional.of(new Usage(5, 2)), done.usage());
      assertEquals(Optional.of(MODEL), done.reportedModel());
    }
  }

  /** A remote image goes to Anthropic as a URL it fetches itself; only https, else 400 and nothing sent. */
  @Test
  void aRemoteImageIsSentAsAnHttpsUrlSource() throws Exception {
    String answer = "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + MODEL + "\","
        + "\"content\":[{\"type\":\"text\",\"text\":\"a cat\"}],\"stop_reason\":\"end_turn\","
        + "\"usage\":{\"input_tokens\":5,\"output_tokens\":2}}";
    String ask = "{\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"what?\"},"
        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"%s\"}}]}]}";
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(200, "application/json", answer))) {
      route(provider);
      HttpResponse<String> refused = post(ask.formatted("http://images.internal/cat.png"));
      assertEquals(400, refused.statusCode(), refused.body());
      assertTrue(refused.body().contains("image_url.url: expected an https URL"), refused.body());
      assertEquals(400, gateway.nextCompleted().status());

      String url = "https://bucket.s3.amazonaws.com/cat.png?X-Amz-Signature=abc";
      HttpResponse<String> res = post(ask.formatted(url));
      assertEquals(200, res.statusCode(), res.body());
      FakeProvider.Recorded sent = provider.received.poll(5, TimeUnit.SECONDS);
      assertEquals("{\"type\":\"url\",\"url\":\"" + url + "\"}",
          TestProviders.JSON.readTree(sent.body()).at("/messages/0/content/1/source").toString());
      assertEquals(200, gateway.nextCompleted().status());
      assertEquals(null, provider.received.poll(), "only the https call was sent");
    }
  }

  @Test
  void streamsTranslatedChunksEndingWithDone() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      c.chunk("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
          + "\"role\":\"assistant\",\"model\":\"" + MODEL + "\",\"content\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n");
      c.chunk("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
      c.chunk("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}\n\n");
      c.chunk("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
      c.chunk("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":2}}\n\n");
      c.chunk("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
      c.endChunks();
    })) {
      route(provider);
      HttpResponse<String> res = post("{\"stream\":true,\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}");
      assertEquals(200, res.statusCode(), res.body());
      assertTrue(res.body().contains("\"hi\""), res.body());
      assertTrue(res.body().endsWith("data: [DONE]\n\n"), res.body());
      RequestCompleted done = gateway.nextCompleted();
      assertEquals(Optional.empty(), done.error());
      assertEquals(Optional.of(MODEL), done.reportedModel());
    }
  }
}
