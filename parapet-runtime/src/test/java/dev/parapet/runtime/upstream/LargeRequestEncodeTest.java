package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.testing.HeldWork;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A prompt whose message text passes {@link UpstreamProxyHandler#OFF_LOOP_CHARS} is encoded for the
 * provider, or echoed, on the policy threads: its loop serves other connections meanwhile, the provider gets
 * the same JSON, and a caller who leaves meanwhile ends the call at once with nothing sent. Over
 * real sockets, with the leak detector at paranoid.
 */
class LargeRequestEncodeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** ~40 KB of message text, with characters JSON must escape. */
  private static final String TEXT = "line \"one\"\n\tand the caf\u00e9's second \\ part. ".repeat(900);

  private final HeldWork offLoop = new HeldWork();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private TestGateway gateway;
  private FakeProvider provider;

  @BeforeEach
  void start() throws Exception {
    gateway = new TestGateway();
    provider = new FakeProvider((req, c) -> c.full(200, "application/json", UpstreamProxyHandlerTest.OPENAI_ANSWER));
    gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 10_000);
    UpstreamProxyHandler.beforeOffLoopWorkForTest = offLoop;
  }

  @AfterEach
  void stop() throws Exception {
    UpstreamProxyHandler.beforeOffLoopWorkForTest = null;
    offLoop.release();
    provider.close();
    gateway.close();
    LeakWatch.assertNoLeaks();
  }

  private static String ask(String text) throws Exception {
    return JSON.writeValueAsString(JSON.createObjectNode().set("messages",
        JSON.createArrayNode().add(JSON.createObjectNode().put("role", "user").put("content", text))));
  }

  private HttpRequest post(String body) {
    return HttpRequest.newBuilder(gateway.uri("r")).timeout(Duration.ofSeconds(20))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  @Test
  void bothLoopsServeOtherCallsWhileALargeRequestIsEncoded() throws Exception {
    String big = ask(TEXT);
    assertTrue(TEXT.length() > UpstreamProxyHandler.OFF_LOOP_CHARS);
    offLoop.hold();
    CompletableFuture<HttpResponse<String>> waiting = http.sendAsync(post(big), HttpResponse.BodyHandlers.ofString());
    assertTrue(offLoop.awaitHeld(), "the large request went to a policy thread");
    assertTrue(offLoop.threads.poll().startsWith("parapet-policy"));
    for (int i = 0; i < 4; i++) { // four connections: two on each of the gateway's two loops
      assertEquals(200, http.send(post(UpstreamProxyHandlerTest.ASK), HttpResponse.BodyHandlers.ofString()).statusCode());
      assertEquals("hello", JSON.readTree(provider.received.poll(5, TimeUnit.SECONDS).body())
          .path("messages").path(0).path("content").asText());
      assertEquals(200, gateway.nextCompleted().status());
    }
    assertTrue(offLoop.threads.isEmpty(), "small requests are encoded on their loop");
    assertNull(provider.received.poll(), "the large request waits for its encoding");
    assertFalse(waiting.isDone());

    offLoop.release();
    assertEquals(200, waiting.get(20, TimeUnit.SECONDS).statusCode());
    FakeProvider.Recorded sent = provider.received.poll(5, TimeUnit.SECONDS);
    assertTrue(JSON.readTree(big).path("messages").equals(JSON.readTree(sent.body()).path("messages")),
        "the provider got the same messages");
    assertEquals("gpt-4o-2024-08-06", JSON.readTree(sent.body()).path("model").asText(), "and the pinned model");
    assertEquals(sent.body().getBytes(StandardCharsets.UTF_8).length,
        Integer.parseInt(sent.headers().get("content-length")));
    assertEquals(200, gateway.nextCompleted().status());
  }

  @Test
  void aCallerWhoLeavesWhileItsRequestIsEncodedEndsTheCallAtOnceAndNothingIsSent() throws Exception {
    offLoop.hold();
    try (Socket s = new Socket("127.0.0.1", gateway.port())) {
      UpstreamStreamingTest.rawPost(s.getOutputStream(), ask(TEXT));
      assertTrue(offLoop.awaitHeld(), "the large request went to a policy thread");
      gateway.closeFromGatewaySide(s);
      assertEquals(RequestCompleted.CALLER_GONE, gateway.nextCompleted().status(), "ended at once");
    }
    offLoop.release(); // the encoding comes back to a finished call
    assertNull(gateway.completed.poll(500, TimeUnit.MILLISECONDS), "ended once");
    assertNull(provider.received.poll(), "nothing went to the provider");
    assertEquals(200, http.send(post(UpstreamProxyHandlerTest.ASK), HttpResponse.BodyHandlers.ofString()).statusCode());
    assertEquals("hello", JSON.readTree(provider.received.poll(5, TimeUnit.SECONDS).body())
        .path("messages").path(0).path("content").asText());
  }

  /**
   * An anthropic route's request is a translation: for a large body (here a 40 KB image) it is
   * built, its image checked, and encoded on a policy thread, and a refusal found there (an image
   * type Anthropic does not read) comes back as 400 from there.
   */
  @Test
  void aLargeAnthropicRequestIsTranslatedOffTheLoopRefusalsToo() throws Exception {
    String answer = "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + TestGateway.MODEL
        + "\",\"content\":[{\"type\":\"text\",\"text\":\"a cat\"}],\"stop_reason\":\"end_turn\","
        + "\"usage\":{\"input_tokens\":5,\"output_tokens\":2}}";
    try (FakeProvider claude = new FakeProvider((req, c) -> c.full(200, "application/json", answer))) {
      gateway.routes.put("claude", TestGateway.route("claude", ProviderType.ANTHROPIC,
          Optional.of(claude.baseUrl("http", "127.0.0.1")), 10_000));
      String base64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB\n".repeat(1_300);
      for (String type : List.of("image/bmp", "image/png")) {
        String body = JSON.writeValueAsString(JSON.createObjectNode().put("max_tokens", 20).set("messages",
            JSON.createArrayNode().add(JSON.createObjectNode().put("role", "user").set("content", JSON.createArrayNode()
                .add(JSON.createObjectNode().put("type", "text").put("text", "what is this?"))
                .add(JSON.createObjectNode().put("type", "image_url").set("image_url",
                    JSON.createObjectNode().put("url", "data:" + type + ";base64," + base64)))))));
        HeldWork held = new HeldWork().hold(); // one per request: a HeldWork holds once
        UpstreamProxyHandler.beforeOffLoopWorkForTest = held;
        CompletableFuture<HttpResponse<String>> waiting = http.sendAsync(HttpRequest.newBuilder(gateway.uri("claude"))
            .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
        try {
          assertTrue(held.awaitHeld(), type + ": the translation went to a policy thread");
          assertTrue(held.threads.poll().startsWith("parapet-policy"));
          assertFalse(waiting.isDone(), type + ": nothing is answered before the translation");
          assertNull(claude.received.poll(), "nothing is sent before the translation");
        } finally {
          held.release();
        }
        HttpResponse<String> r = waiting.get(20, TimeUnit.SECONDS);
        if (type.equals("image/bmp")) {
          assertEquals(400, r.statusCode(), r.body());
          assertTrue(r.body().contains("messages[0].content[1].image_url.url"), r.body());
          assertEquals(400, gateway.nextCompleted().status());
        } else {
          assertEquals(200, r.statusCode(), r.body());
          JsonNode source = JSON.readTree(claude.received.poll(5, TimeUnit.SECONDS).body())
              .at("/messages/0/content/1/source");
          assertEquals("image/png", source.path("media_type").asText());
          assertEquals(base64.replace("\n", ""), source.path("data").asText(), "the data, without its line breaks");
          assertEquals(200, gateway.nextCompleted().status());
        }
      }
    }
  }

  /** An echo counts and copies its prompt: a large one is echoed off the loop, whole or streamed. */
  @Test
  void aLargePromptIsEchoedOffTheLoopWholeAndStreamed() throws Exception {
    gateway.routes.put("echo", TestGateway.route("echo", ProviderType.ECHO, Optional.empty(), 1_000));
    URI echo = gateway.uri("echo");
    offLoop.hold();
    CompletableFuture<HttpResponse<String>> whole = http.sendAsync(HttpRequest.newBuilder(echo)
        .POST(HttpRequest.BodyPublishers.ofString(ask(TEXT))).build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(offLoop.awaitHeld(), "the large echo went to a policy thread");
    assertTrue(offLoop.threads.poll().startsWith("parapet-policy"));
    for (int i = 0; i < 4; i++) { // both loops still serve
      assertEquals(200, http.send(HttpRequest.newBuilder(echo).POST(HttpRequest.BodyPublishers.ofString(
          UpstreamProxyHandlerTest.ASK)).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
      assertEquals(200, gateway.nextCompleted().status());
    }
    assertTrue(offLoop.threads.isEmpty(), "small prompts are echoed on their loop");
    assertFalse(whole.isDone());
    offLoop.release();
    HttpResponse<String> answered = whole.get(20, TimeUnit.SECONDS);
    assertEquals(200, answered.statusCode());
    assertEquals(TEXT, JSON.readTree(answered.body()).path("choices").path(0).path("message").path("content").asText());
    RequestCompleted done = gateway.nextCompleted();
    assertEquals(200, done.status());
    TokenCounter counter = TokenCounter.forModel(ProviderType.ECHO, TestGateway.MODEL);
    assertEquals(counter.countMessages(List.of(TEXT)), done.usage().orElseThrow().promptTokens());

    String streamAsk = "{\"stream\":true," + ask(TEXT).substring(1);
    HttpResponse<String> streamed = http.send(HttpRequest.newBuilder(echo)
        .POST(HttpRequest.BodyPublishers.ofString(streamAsk)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, streamed.statusCode());
    assertTrue(streamed.body().endsWith("data: [DONE]\n\n"));
    StringBuilder text = new StringBuilder();
    for (String line : streamed.body().split("\n")) {
      if (line.startsWith("data: {")) {
        text.append(JSON.readTree(line.substring(6)).path("choices").path(0).path("delta").path("content").asText());
      }
    }
    assertEquals(TEXT, text.toString(), "the stream carries the whole echo");
    assertTrue(offLoop.threads.poll(5, TimeUnit.SECONDS).startsWith("parapet-policy"), "streamed off the loop too");
    assertEquals(200, gateway.nextCompleted().status());
  }
}
