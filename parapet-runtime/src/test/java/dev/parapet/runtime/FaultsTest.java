package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderType;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.upstream.FakeProvider;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A failing provider behind the production pipeline (sealed blob, Boot, real upstream stage):
 * refusing connections, resetting mid-answer, sending garbage, an {@code event: error} after a
 * 200, hanging. The caller gets the SPEC §4 code — a plain 502/504 refusal before any byte of
 * the answer, an SSE error event then {@code [DONE]} once a stream has started — every request
 * completes (nothing left in flight), and no buffer leaks.
 */
class FaultsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CHUNK = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,"
      + "\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"par\"}}]}\n\n";
  private static final int TIMEOUT_MS = 400;
  @TempDir static Path tmp;
  private static FakeProvider provider;
  private static ProductionStack stack;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /** Released at the end so hanging scripts return and their threads end. */
  private static final CountDownLatch RELEASE = new CountDownLatch(1);

  @BeforeAll
  static void start() throws Exception {
    // The provider first: a port freed for "refused" and then free again could be the one the
    // provider binds next, and "refused" would reach it.
    provider = new FakeProvider(FaultsTest::misbehave);
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    URI base = provider.baseUrl("http", "127.0.0.1");
    stack = ProductionStack.builder(tmp.resolve("data"))
        .route("oai", ProviderType.OPENAI, base, "sk-faults-openai-000000000000", TIMEOUT_MS)
        .route("ant", ProviderType.ANTHROPIC, base, "sk-ant-faults-000000000000000", TIMEOUT_MS)
        .route("refused", ProviderType.OPENAI, URI.create("http://127.0.0.1:" + closedPort + "/v1"),
            "sk-faults-refused-00000000000", TIMEOUT_MS)
        .start();
  }

  @AfterAll
  static void stop() throws Exception {
    RELEASE.countDown();
    stack.close();
    provider.close();
    assertEquals(List.of(), provider.scriptErrors);
    LeakWatch.assertNoLeaks();
  }

  /** The prompt names the fault. */
  private static void misbehave(FakeProvider.Recorded r, FakeProvider.Conn c) throws Exception {
    JsonNode content = JSON.readTree(r.body()).at("/messages/0/content");
    String fault = content.isArray() ? content.at("/0/text").asText() : content.asText(); // Anthropic: blocks
    boolean anthropic = r.target().endsWith("/messages");
    switch (fault) {
      case "reset-before-head" -> c.reset();
      case "reset-mid-body" -> {
        c.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"id\":\"c\",\"choi");
        c.reset();
      }
      case "close-mid-body" -> {
        c.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"id\":\"c\"");
        c.close = true;
      }
      case "garbage" -> {
        c.write("\u0000\u0001SSH-2.0-OpenSSH_9.6\r\nnot http at all\r\n\r\n");
        c.close = true;
      }
      case "garbage-json" -> c.full(200, "application/json", "{\"choices\":\"nope\",\"usage\":{\"prompt_tokens\":-1}");
      case "hang" -> {
        RELEASE.await(30, TimeUnit.SECONDS);
        c.close = true;
      }
      case "reset-mid-stream" -> {
        c.sseHead();
        c.chunk(anthropic ? anthropicStart() : CHUNK);
        c.reset();
      }
      case "garbage-mid-stream" -> {
        c.sseHead();
        c.chunk(anthropic ? anthropicStart() : CHUNK);
        c.chunk("data: {\"choices\":[{\"delta\":\n\n");
        c.endChunks();
      }
      case "error-event-mid-stream" -> {
        c.sseHead();
        c.chunk(anthropic ? anthropicStart() : CHUNK);
        c.chunk(anthropic
            ? "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"
            : "event: error\ndata: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n\n");
        c.endChunks();
      }
      case "hang-mid-stream" -> {
        c.sseHead();
        c.chunk(anthropic ? anthropicStart() : CHUNK);
        RELEASE.await(30, TimeUnit.SECONDS);
        c.close = true;
      }
      default -> throw new IllegalArgumentException(fault);
    }
  }

  private static String anthropicStart() {
    return "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"content\":[],\"model\":\"claude-3-5-sonnet-20241022\",\"usage\":{\"input_tokens\":1,"
        + "\"output_tokens\":1}}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
        + "\"delta\":{\"type\":\"text_delta\",\"text\":\"par\"}}\n\n";
  }

  /** Route, fault, streaming, expected status, expected code. */
  static Stream<Arguments> faults() {
    return Stream.of("oai", "ant").flatMap(route -> Stream.of(
        Arguments.of(route, "reset-before-head", false, 502, "upstream_error"),
        Arguments.of(route, "reset-before-head", true, 502, "upstream_error"),
        Arguments.of(route, "reset-mid-body", false, 502, "upstream_error"),
        Arguments.of(route, "close-mid-body", false, 502, "upstream_error"),
        Arguments.of(route, "garbage", false, 502, "upstream_error"),
        Arguments.of(route, "garbage", true, 502, "upstream_error"),
        Arguments.of(route, "garbage-json", false, 502, "upstream_error"),
        Arguments.of(route, "hang", false, 504, "upstream_timeout"),
        Arguments.of(route, "hang", true, 504, "upstream_timeout"),
        Arguments.of(route, "reset-mid-stream", true, 200, "upstream_error"),
        Arguments.of(route, "garbage-mid-stream", true, 200, "upstream_error"),
        Arguments.of(route, "error-event-mid-stream", true, 200, "upstream_error"),
        // in a started stream every provider failure reads as upstream_error (the completion keeps the kind)
        Arguments.of(route, "hang-mid-stream", true, 200, "upstream_error")));
  }

  @ParameterizedTest(name = "{0} {1} stream={2} -> {3} {4}")
  @MethodSource("faults")
  void theCallerGetsTheSpecsCode(String route, String fault, boolean stream, int status, String code)
      throws Exception {
    HttpResponse<String> res = post("/routes/" + route, fault, stream);
    assertEquals(status, res.statusCode(), res.body());
    if (status == 200) {
      String body = res.body();
      assertTrue(body.startsWith("data: {"), body);
      assertTrue(body.endsWith("data: [DONE]\n\n"), "the stream did not end with [DONE]: " + body);
      String[] events = body.split("\n\n");
      JsonNode last = JSON.readTree(events[events.length - 2].substring("data: ".length()));
      assertEquals(code, last.at("/error/code").asText(), body);
      assertEquals("parapet_error", last.at("/error/type").asText());
    } else {
      assertEquals(code, JSON.readTree(res.body()).at("/error/code").asText(), res.body());
    }
    assertTrue(res.headers().firstValue("x-parapet-request-id").isPresent());
    // the gateway still answers, and the request completed (its in-flight slot is released)
    assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.port + "/_parapet/health"))
        .build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    awaitNothingInFlight();
  }

  /**
   * The completion is fired on the event loop after the last write, so the caller can read the
   * answer a moment before the count drops: wait for it (a request that never completes keeps
   * it at 1 and fails here).
   */
  private static void awaitNothingInFlight() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (stack.gateway.inFlightRequests() != 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertEquals(0, stack.gateway.inFlightRequests(), "a request never completed");
  }

  @ParameterizedTest(name = "refused, stream={0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
  void aProviderRefusingConnectionsIs502(boolean stream) throws Exception {
    HttpResponse<String> res = post("/routes/refused", "anything", stream);
    assertEquals(502, res.statusCode(), res.body());
    assertEquals("upstream_error", JSON.readTree(res.body()).at("/error/code").asText());
    awaitNothingInFlight();
  }

  private static HttpResponse<String> post(String path, String fault, boolean stream) throws Exception {
    String body = "{\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + fault + "\"}]}";
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + stack.port + path))
            .header("Authorization", "Bearer " + stack.token).header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(20))
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
