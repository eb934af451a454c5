package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.core.config.ProviderType;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.provider.Usage;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Non-streaming calls end to end: a real client, the handler in a Netty server, a fake provider. */
class UpstreamProxyHandlerTest {
  static final String OPENAI_ANSWER = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o-2024-08-06\","
      + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}],"
      + "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":1,\"total_tokens\":8}}";
  static final String ASK = "{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";

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

  HttpResponse<String> post(String route, String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(gateway.uri(route)).timeout(Duration.ofSeconds(20))
        .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void injectsTheKeySendsNothingOfTheCallersAndPassesTheAnswer() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(200, "application/json", OPENAI_ANSWER,
        "x-request-id: prov-123", "set-cookie: session=secret", "x-ratelimit-remaining-requests: 99",
        "server: provider-internal", "keep-alive: timeout=5"))) {
      gateway.addRoute("summarizer", provider.baseUrl("http", "127.0.0.1"), 5_000);

      HttpResponse<String> res = post("summarizer", ASK, "authorization", "Bearer caller-token",
          "cookie", "caller=1", "x-custom", "caller");

      assertEquals(200, res.statusCode());
      JsonNode got = TestProviders.JSON.readTree(res.body());
      assertEquals(TestProviders.JSON.readTree(OPENAI_ANSWER), got);
      assertEquals("req-1", res.headers().firstValue("x-parapet-request-id").orElseThrow());
      assertEquals("prov-123", res.headers().firstValue("x-upstream-request-id").orElseThrow());
      assertEquals("99", res.headers().firstValue("x-ratelimit-remaining-requests").orElseThrow());
      assertEquals(Optional.empty(), res.headers().firstValue("set-cookie"));
      assertEquals(Optional.empty(), res.headers().firstValue("server"));
      assertEquals(Optional.empty(), res.headers().firstValue("keep-alive"));

      FakeProvider.Recorded sent = provider.received.poll(5, TimeUnit.SECONDS);
      assertEquals("POST", sent.method());
      assertEquals("/v1/chat/completions", sent.target());
      assertEquals(Set.of("authorization", "content-type", "accept", "accept-encoding", "user-agent", "host",
          "content-length"), sent.headers().keySet());
      assertEquals("identity", sent.headers().get("accept-encoding"), "the answer must come uncompressed");
      assertEquals("Bearer " + TestGateway.PROVIDER_KEY, sent.headers().get("authorization"));
      assertEquals("127.0.0.1:" + provider.port(), sent.headers().get("host"));
      assertEquals(((com.fasterxml.jackson.databind.node.ObjectNode) TestProviders.JSON.readTree(ASK)).put("model", TestGateway.MODEL).toString(),
          TestProviders.JSON.readTree(sent.body()).toString());
      assertFalse(sent.toString().contains("caller"));

      RequestCompleted done = gateway.nextCompleted();
      assertEquals(200, done.status());
      assertEquals(Optional.of(new Usage(7, 1)), done.usage());
      assertEquals(Optional.of(TestGateway.MODEL), done.reportedModel());
      assertEquals(Optional.empty(), done.error());
    }
  }

  @Test
  void providerClientErrorPassesThroughWithTheKeyScrubbed() throws Exception {
    String echoedKey = "{\"error\":{\"message\":\"Incorrect API key provided: " + TestGateway.PROVIDER_KEY
        + " (and again " + TestGateway.PROVIDER_KEY + ")\",\"type\":\"invalid_request_error\"}}";
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(401, "application/json", echoedKey))) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      HttpResponse<String> res = post("r", ASK);
      assertEquals(401, res.statusCode());
      assertFalse(res.body().contains(TestGateway.PROVIDER_KEY));
      assertEquals(echoedKey.replace(TestGateway.PROVIDER_KEY, "[REDACTED]"), res.body());
      assertEquals("application/json", res.headers().firstValue("content-type").orElseThrow());
      assertTrue(res.headers().firstValue("x-parapet-request-id").isPresent());
      assertEquals(401, gateway.nextCompleted().status());
    }
  }

  /**
   * A provider's JSON may echo the key with characters escaped (PHP's {@code \/}, .NET's
   * <code>&#92;u002B</code>); the caller's parser reads it back whole, so it is scrubbed too.
   */
  @Test
  void providerClientErrorEchoingTheKeyEscapedIsScrubbed() throws Exception {
    String key = TestGateway.PROVIDER_KEY; // sk-test-PROVIDERKEY-0123456789abcdef
    String escaped = key.replace("-", "\\u002d").replace("PROVIDER", "\\u0050ROVIDER");
    String echoed = "{\"error\":{\"message\":\"Incorrect API key provided: " + escaped + " / " + key + "\"}}";
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(401, "application/json", echoed))) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      HttpResponse<String> res = post("r", ASK);
      assertEquals(401, res.statusCode());
      String decoded = TestProviders.JSON.readTree(res.body()).path("error").path("message").asText();
      assertEquals("Incorrect API key provided: [REDACTED] / [REDACTED]", decoded, res.body());
      assertEquals(401, gateway.nextCompleted().status());
    }
  }

  @Test
  void providerServerErrorIsOur502WithoutItsWords() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(500, "text/plain", "db at 10.0.0.7 is down"))) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      HttpResponse<String> res = post("r", ASK);
      assertRefusal(res, 502, "upstream_error");
      assertFalse(res.body().contains("10.0.0.7"));
      assertEquals(Optional.of(ParapetError.UPSTREAM_ERROR), gateway.nextCompleted().error());
    }
  }

  @Test
  void providerDownIs502() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    gateway.addRoute("r", URI.create("http://127.0.0.1:" + port + "/v1"), 5_000);
    assertRefusal(post("r", ASK), 502, "upstream_error");
    assertEquals(502, gateway.nextCompleted().status());
  }

  @Test
  void unknownHostIs502() throws Exception {
    // RFC 6761 §6.4: .invalid never resolves; the lookup runs off the event loop (OffLoopResolver).
    gateway.addRoute("r", URI.create("http://provider.parapet-test.invalid:8080/v1"), 5_000);
    assertRefusal(post("r", ASK), 502, "upstream_error");
    assertEquals(Optional.of(ParapetError.UPSTREAM_ERROR), gateway.nextCompleted().error());
  }

  @Test
  void garbageIs502() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.write("SMTP ready\r\n\r\n");
      c.close = true;
    })) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      assertRefusal(post("r", ASK), 502, "upstream_error");
    }
  }

  @Test
  void invalidJsonAnswerIs502() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(200, "application/json", "{\"nope\":"))) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      assertRefusal(post("r", ASK), 502, "upstream_error");
    }
  }

  @Test
  void slowerThanTimeoutIs504() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      Thread.sleep(3_000);
      c.full(200, "application/json", OPENAI_ANSWER);
    })) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 300);
      // The provider would answer 200 after 3 s: a 504 can only come from the 300 ms timeout.
      assertRefusal(post("r", ASK), 504, "upstream_timeout");
      assertEquals(Optional.of(ParapetError.UPSTREAM_TIMEOUT), gateway.nextCompleted().error());
    }
  }

  @Test
  void requestTheProviderCannotExpressIs400AndNothingIsSent() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(200, "application/json", OPENAI_ANSWER))) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      assertRefusal(post("r", "{\"stream\":true,\"stream_options\":5,\"messages\":[]}"), 400, "invalid_request");
      assertEquals(0, provider.connections.get());
    }
  }

  @Test
  void keepAliveReusesOneUpstreamConnection() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(200, "application/json", OPENAI_ANSWER))) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      assertEquals(200, post("r", ASK).statusCode());
      assertEquals(200, post("r", ASK).statusCode());
      assertEquals(1, provider.connections.get());
    }
  }

  @Test
  void neverRetriesOnceTheRequestWentUpstream() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      if (req.connection() == 1 && provider(req)) {
        c.full(200, "application/json", OPENAI_ANSWER);
      } else {
        c.close = true; // read the request, then hang up without a word
      }
    })) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      assertEquals(200, post("r", ASK).statusCode());
      assertRefusal(post("r", ASK), 502, "upstream_error");
      Thread.sleep(300);
      assertEquals(2, provider.received.size());
    }
  }

  private static int served;

  /** The first request on the first connection is answered, the next one is not. */
  private static synchronized boolean provider(FakeProvider.Recorded req) {
    return served++ == 0;
  }

  @Test
  void anAnswerAboveTheSizeLimitIs502() throws Exception {
    String huge = "{\"choices\":[],\"pad\":\"" + "x".repeat(BufferedAnswer.MAX_BODY_BYTES) + "\"}";
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(200, "application/json", huge))) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 10_000);
      assertRefusal(post("r", ASK), 502, "upstream_error");
    }
  }

  @Test
  void aCallerThatDoesNotKeepAliveIsClosedAfterTheAnswer() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(200, "application/json", OPENAI_ANSWER));
        java.net.Socket s = new java.net.Socket("127.0.0.1", gateway.port())) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 5_000);
      byte[] body = ASK.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      s.getOutputStream().write(("POST /routes/r HTTP/1.1\r\nhost: g\r\nconnection: close\r\ncontent-length: "
          + body.length + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      s.getOutputStream().write(body);
      s.setSoTimeout(10_000);
      String all = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8); // EOF = closed
      assertTrue(all.startsWith("HTTP/1.1 200"), all);
      assertTrue(all.toLowerCase(java.util.Locale.ROOT).contains("connection: close"), all);
      assertTrue(all.endsWith(OPENAI_ANSWER), all);
    }
  }

  @Test
  void echoAnswersWithoutASocket() throws Exception {
    gateway.routes.put("demo", TestGateway.route("demo", ProviderType.ECHO, Optional.empty(), 1_000));
    HttpResponse<String> res = post("demo", ASK);
    assertEquals(200, res.statusCode());
    assertTrue(TestProviders.JSON.readTree(res.body()).at("/choices/0/message/content").asText().contains("hello"));
    assertEquals(String.valueOf(res.body().length()), res.headers().firstValue("content-length").orElseThrow());
    RequestCompleted done = gateway.nextCompleted();
    assertTrue(done.usage().orElseThrow().promptTokens() > 0);
    assertEquals(Optional.of(TestGateway.MODEL), done.reportedModel());
  }

  static void assertRefusal(HttpResponse<String> res, int status, String code) throws Exception {
    assertEquals(status, res.statusCode(), res.body());
    JsonNode error = TestProviders.JSON.readTree(res.body()).path("error");
    assertEquals("parapet_error", error.path("type").asText());
    assertEquals(code, error.path("code").asText());
    assertEquals(res.headers().firstValue("x-parapet-request-id").orElseThrow(), error.path("request_id").asText());
    assertFalse(res.body().contains(TestGateway.PROVIDER_KEY));
  }
}
