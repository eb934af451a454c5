package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.policy.PolicyRequests;
import dev.parapet.runtime.provider.StreamChunk;
import dev.parapet.runtime.provider.Translated;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A call's prompt is dropped once the provider has answered: a stream can last minutes, and with
 * thousands open, long prompts kept for their streams' lifetime would fill the heap (bench/run
 * with {@code BENCH_STREAM_PROMPT_CHARS=50000}: 64.5 KiB per stream kept, 12.3 KiB after). The
 * provider must still have received the whole body.
 */
class RequestBodyReleaseTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LONG_PROMPT = "Summarize the attached contract. ".repeat(2_000);
  private static final String STREAM_ASK = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\""
      + LONG_PROMPT + "\"}]}";
  private static final String ASK = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + LONG_PROMPT + "\"}]}";

  private TestGateway gateway;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  /** What the observers saw: whether the request still held its body at each step. */
  private final List<String> seen = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws InterruptedException {
    if (gateway != null) {
      gateway.close();
    }
    LeakWatch.assertNoLeaks();
  }

  private ExchangeObserver watcher() {
    return new ExchangeObserver() {
      @Override
      public Optional<Veto> beforeAnswer(GatewayRequest request, Optional<String> reportedModel) {
        seen.add("beforeAnswer body=" + request.hasBody());
        return Optional.empty();
      }

      @Override
      public Optional<Veto> onAnswer(GatewayRequest request, Translated answer) {
        seen.add("onAnswer body=" + request.hasBody());
        return Optional.empty();
      }

      @Override
      public Optional<Veto> onStreamPayload(GatewayRequest request, StreamChunk payload) {
        seen.add("payload body=" + request.hasBody());
        return Optional.empty();
      }
    };
  }

  private HttpResponse<String> post(String body) throws Exception {
    return http.send(HttpRequest.newBuilder(gateway.uri("r")).timeout(Duration.ofSeconds(20))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String sentPrompt(FakeProvider.Recorded received) throws Exception {
    JsonNode body = JSON.readTree(received.body());
    return body.path("messages").path(0).path("content").asText();
  }

  @Test
  void aStreamKeepsNoPromptOnceTheProviderAnswers() throws Exception {
    gateway = new TestGateway(TestGateway.plainClient(), TestProviders.create(), r -> watcher());
    List<FakeProvider.Recorded> received = new CopyOnWriteArrayList<>();
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      received.add(req);
      c.sseHead();
      for (int i = 0; i < 3; i++) {
        c.chunk("data: " + UpstreamStreamingTest.chunk("t" + i) + "\n\n");
      }
      c.chunk("data: [DONE]\n\n");
      c.endChunks();
    })) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      HttpResponse<String> response = post(STREAM_ASK);
      assertEquals(200, response.statusCode(), response.body());
      assertTrue(response.body().contains("t2"), response.body());

      assertEquals(LONG_PROMPT, sentPrompt(received.get(0)), "the provider got the whole prompt");
      assertFalse(seen.isEmpty());
      assertTrue(seen.stream().allMatch(s -> s.endsWith("body=false")), seen.toString());
      RequestCompleted done = gateway.nextCompleted();
      GatewayRequest request = done.request().orElseThrow();
      assertFalse(request.hasBody());
      IllegalStateException e = assertThrows(IllegalStateException.class, request::body);
      assertFalse(e.getMessage().contains("Summarize"), "the message names no prompt text");
    }
  }

  @Test
  void aWholeAnswerKeepsNoPromptOnceTheProviderAnswers() throws Exception {
    gateway = new TestGateway(TestGateway.plainClient(), TestProviders.create(), r -> watcher());
    List<FakeProvider.Recorded> received = new CopyOnWriteArrayList<>();
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      received.add(req);
      c.full(200, "application/json", UpstreamProxyHandlerTest.OPENAI_ANSWER);
    })) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      assertEquals(200, post(ASK).statusCode());
      assertEquals(LONG_PROMPT, sentPrompt(received.get(0)));
      assertEquals(List.of("beforeAnswer body=false", "onAnswer body=false"), seen);
      assertFalse(gateway.nextCompleted().request().orElseThrow().hasBody());
    }
  }

  @Test
  void toStringNamesTheCallNotItsPrompt() throws Exception {
    GatewayRequest request = PolicyRequests.request(ASK, 100_000, RedactionPolicy.OFF);
    assertFalse(request.toString().contains("Summarize"), request.toString());
    assertTrue(request.toString().contains("id-1"), request.toString());
    assertEquals(LONG_PROMPT, request.body().path("messages").path(0).path("content").asText());
    assertTrue(request.hasBody());
    request.releaseBody();
    request.releaseBody(); // idempotent
    assertFalse(request.hasBody());
  }
}
