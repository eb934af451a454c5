package dev.parapet.runtime;

import static dev.parapet.runtime.testing.TestConfigs.TOKEN_A;
import static dev.parapet.runtime.testing.TestConfigs.TOKEN_C;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderType;
import dev.parapet.runtime.testing.AllLogs;
import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.upstream.FakeProvider;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Requests that try to reach another handler than the literal one (path tricks), to make the
 * gateway drop the key it injects or forward the caller's own credentials ({@code Connection}
 * naming them), or to turn JSON string content into a header or a log line (CRLF).
 */
class HostileRequestsTest {
  private static final String BODY = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final String PROVIDER_KEY = "sk-hostile-provider-key-0123456789";
  private static GatewayFixture fx;

  @TempDir Path tmp;

  @BeforeAll
  static void start() throws Exception {
    fx = new GatewayFixture();
  }

  @AfterAll
  static void stop() throws Exception {
    fx.close();
    LeakWatch.assertNoLeaks();
  }

  /**
   * Path, method, token, expected status. svc-a may call summarizer only; svc-c summarizer and
   * writer. The path is matched raw: no decoding, no dot-segments, no slash merging.
   */
  static Stream<Arguments> paths() {
    return Stream.of(
        Arguments.of("/routes/../_parapet/usage", "POST", TOKEN_A, 403),
        Arguments.of("/routes/../_parapet/usage", "GET", TOKEN_A, 405),
        Arguments.of("/routes/%2e%2e/_parapet/usage", "POST", TOKEN_A, 403),
        Arguments.of("/routes/.%2e/v1/models", "POST", TOKEN_A, 403),
        Arguments.of("/routes/writer/../summarizer", "POST", TOKEN_A, 403),
        Arguments.of("/routes/writer%2f..%2fsummarizer", "POST", TOKEN_A, 403),
        Arguments.of("/routes/summarizer%2f..%2fwriter", "POST", TOKEN_A, 403),
        Arguments.of("/routes/summarizer/", "POST", TOKEN_A, 403),
        Arguments.of("/routes/summarizer;x", "POST", TOKEN_A, 403),
        Arguments.of("/routes/summarizer%00", "POST", TOKEN_A, 403),
        Arguments.of("/routes/Summarizer", "POST", TOKEN_A, 403),
        Arguments.of("/routes/summ%61rizer", "POST", TOKEN_A, 403),
        Arguments.of("/routes//summarizer", "POST", TOKEN_A, 403),
        Arguments.of("/routes/summarizer#x", "POST", TOKEN_A, 403),
        Arguments.of("//v1/chat/completions", "POST", TOKEN_A, 404),
        Arguments.of("/v1//chat/completions", "POST", TOKEN_A, 404),
        Arguments.of("/v1/chat/completions/", "POST", TOKEN_A, 404),
        Arguments.of("/v1/chat/completions;x", "POST", TOKEN_A, 404),
        Arguments.of("/v1/./chat/completions", "POST", TOKEN_A, 404),
        Arguments.of("/v1/chat%2fcompletions", "POST", TOKEN_A, 404),
        Arguments.of("\\v1\\chat\\completions", "POST", TOKEN_A, 404),
        Arguments.of("/v1\\chat\\completions", "POST", TOKEN_A, 404),
        Arguments.of("/ROUTES/summarizer", "POST", TOKEN_A, 404),
        Arguments.of("http://evil.example/routes/summarizer", "POST", TOKEN_A, 404),
        Arguments.of("http://127.0.0.1/_parapet/usage", "GET", null, 404),
        Arguments.of("/_parapet/health/../usage", "GET", null, 404),
        Arguments.of("/_parapet/%2e%2e/v1/models", "GET", TOKEN_A, 404),
        Arguments.of("/_parapet/health;x", "GET", null, 404),
        Arguments.of("/_parapet//health", "GET", null, 404),
        Arguments.of("/_parapet/usage", "POST", TOKEN_A, 405),
        // /v1/models/{model} answers GET only, and a name that is not a route this token may call is 404
        Arguments.of("/v1/models/../chat/completions", "POST", TOKEN_A, 405),
        Arguments.of("/v1/models/../../routes/summarizer", "GET", TOKEN_A, 404),
        Arguments.of("/v1/models/summarizer%2f..%2f..%2f_parapet%2fusage", "GET", TOKEN_A, 404),
        Arguments.of("*", "OPTIONS", TOKEN_A, 404),
        Arguments.of("/routes/summarizer", "GET", TOKEN_A, 405),
        Arguments.of("/routes/summarizer", "POST", null, 401),
        Arguments.of("/routes/..%2f_parapet%2fusage", "POST", null, 401));
  }

  @ParameterizedTest(name = "{1} {0} -> {3}")
  @MethodSource("paths")
  void aPathTrickReachesNoOtherHandler(String path, String method, String token, int status) throws Exception {
    fx.terminal.received.clear();
    String body = method.equals("POST") ? BODY : "";
    String raw = method + " " + path + " HTTP/1.1\r\nHost: parapet\r\n"
        + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")
        + (body.isEmpty() ? "" : "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n")
        + "\r\n" + body;
    try (RawHttp c = fx.raw()) {
      c.send(raw);
      RawHttp.Response r = c.read();
      assertEquals(status, r.status(), r.body());
      // the terminal answers before the response is written: a dispatch would be recorded by now
      c.send("GET /_parapet/health HTTP/1.1\r\nHost: p\r\n\r\n");
      assertEquals(200, c.read().status());
    }
    assertTrue(fx.terminal.received.isEmpty(), "dispatched to " + fx.terminal.received);
  }

  /** The query is not part of the path: the literal route, nothing else. */
  @Test
  void aQueryDoesNotChangeTheRoute() throws Exception {
    fx.terminal.received.clear();
    try (RawHttp c = fx.raw()) {
      c.send(GatewayFixture.post("/routes/summarizer?route=writer&../writer", TOKEN_C, BODY));
      assertEquals(200, c.read().status());
    }
    assertEquals(List.of("summarizer"), fx.terminal.received.stream().map(r -> r.route().name()).toList());
  }

  private static void recordOk(FakeProvider.Recorded r, FakeProvider.Conn c) throws Exception {
    if (r.target().endsWith("/messages")) {
      c.full(200, "application/json", "{\"id\":\"m\",\"type\":\"message\",\"model\":\"claude-3-5-sonnet-20241022\","
          + "\"content\":[{\"type\":\"text\",\"text\":\"ok\"}],\"stop_reason\":\"end_turn\","
          + "\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}");
    } else {
      c.full(200, "application/json", "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,"
          + "\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
          + "\"content\":\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,"
          + "\"total_tokens\":2}}");
    }
  }

  @Test
  void connectionNamingCredentialsNeitherStripsTheKeyNorForwardsTheCallers() throws Exception {
    try (FakeProvider provider = new FakeProvider(HostileRequestsTest::recordOk);
        ProductionStack stack = ProductionStack.builder(tmp.resolve("data"))
            .route("oai", ProviderType.OPENAI, provider.baseUrl("http", "127.0.0.1"), PROVIDER_KEY, 5_000)
            .route("ant", ProviderType.ANTHROPIC, provider.baseUrl("http", "127.0.0.1"), PROVIDER_KEY, 5_000)
            .start()) {
      for (String route : List.of("oai", "ant")) {
        String raw = "POST /routes/" + route + " HTTP/1.1\r\nHost: evil.example\r\n"
            + "Connection: authorization, x-api-key, anthropic-version, keep-alive, te, upgrade\r\n"
            + "Authorization: Bearer " + stack.token + "\r\n"
            + "X-Api-Key: caller-key-0123456789\r\nAnthropic-Version: 1999-01-01\r\n"
            + "Proxy-Authorization: Basic Y2FsbGVyOnNlY3JldA==\r\nCookie: session=caller\r\n"
            + "Keep-Alive: timeout=999\r\nTE: trailers\r\nUpgrade: h2c\r\n"
            + "X-Forwarded-For: 10.0.0.1\r\nForwarded: for=10.0.0.1;host=evil.example\r\n"
            + "X-Forwarded-Host: evil.example\r\nContent-Type: application/json\r\n"
            + "Content-Length: " + BODY.length() + "\r\n\r\n" + BODY;
        try (RawHttp c = new RawHttp(stack.port)) {
          c.send(raw);
          RawHttp.Response r = c.read();
          assertEquals(200, r.status(), r.body());
          assertFalse(r.body().contains(PROVIDER_KEY));
        }
        FakeProvider.Recorded sent = provider.received.poll(5, TimeUnit.SECONDS);
        Map<String, String> h = sent.headers();
        if (route.equals("oai")) {
          assertEquals("Bearer " + PROVIDER_KEY, h.get("authorization"));
          assertNull(h.get("x-api-key"));
        } else {
          assertEquals(PROVIDER_KEY, h.get("x-api-key"));
          assertEquals("2023-06-01", h.get("anthropic-version"));
          assertNull(h.get("authorization"));
        }
        assertEquals("127.0.0.1:" + provider.port(), h.get("host"));
        for (String name : List.of("proxy-authorization", "cookie", "keep-alive", "te", "upgrade",
            "x-forwarded-for", "forwarded", "x-forwarded-host")) {
          assertNull(h.get(name), name + " forwarded: " + h);
        }
        String everything = (h + sent.body() + sent.target()).toLowerCase(Locale.ROOT);
        for (String callerValue : List.of(stack.token, "caller-key", "1999-01-01", "evil.example", "y2fsbgvyonnly3jldaa=")) {
          assertFalse(everything.contains(callerValue.toLowerCase(Locale.ROOT)), callerValue + " went upstream: " + everything);
        }
        String connection = h.getOrDefault("connection", "").toLowerCase(Locale.ROOT);
        assertFalse(connection.contains("authorization") || connection.contains("x-api-key"), connection);
      }
    }
  }

  @Test
  void crlfInJsonValuesNeverBecomesAHeaderOrALogLine() throws Exception {
    String injected = "a\\r\\nX-Evil: 1\\r\\n\\r\\nGET /smuggled HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n";
    String body = "{\"user\":\"" + injected + "\",\"stop\":[\"" + injected + "\"],\"metadata\":{\"k\\r\\nX-Evil\":\"v\"},"
        + "\"messages\":[{\"role\":\"user\",\"name\":\"" + injected + "\",\"content\":\"" + injected + "\"}]}";
    try (AllLogs logs = AllLogs.capture();
        FakeProvider provider = new FakeProvider(HostileRequestsTest::recordOk);
        ProductionStack stack = ProductionStack.builder(tmp.resolve("data"))
            .route("oai", ProviderType.OPENAI, provider.baseUrl("http", "127.0.0.1"), PROVIDER_KEY, 5_000)
            .route("ant", ProviderType.ANTHROPIC, provider.baseUrl("http", "127.0.0.1"), PROVIDER_KEY, 5_000)
            .echoRoute("echo")
            .start()) {
      for (String path : List.of("/routes/oai", "/routes/ant", "/routes/echo",
          "/routes/oai%0d%0aX-Evil:%201", "/routes/oai%0aX-Evil:%201")) {
        try (RawHttp c = new RawHttp(stack.port)) {
          // an anthropic route refuses a message's name (Anthropic has none): its CR/LF rides in the rest
          c.send(GatewayFixture.post(path, stack.token,
              path.equals("/routes/ant") ? body.replace("\"name\":\"" + injected + "\",", "") : body));
          RawHttp.Response r = c.read();
          assertTrue(r.status() == 200 || r.status() == 400 || r.status() == 403, path + " " + r.status() + r.body());
          assertNull(r.header("x-evil"), path + ": injected a response header");
          c.send("GET /_parapet/health HTTP/1.1\r\nHost: p\r\n\r\n");
          assertEquals(200, c.read().status(), path + ": the connection is out of step");
        }
      }
      // a raw CR or LF inside a JSON string is not JSON at all
      try (RawHttp c = new RawHttp(stack.port)) {
        c.send(GatewayFixture.post("/routes/oai", stack.token, body.replace("\\r\\n", "\r\n")));
        assertEquals(400, c.read().status());
      }
      List<FakeProvider.Recorded> sent = provider.drain();
      assertFalse(sent.isEmpty(), "nothing went upstream: the test proved nothing");
      for (FakeProvider.Recorded r : sent) {
        assertFalse(r.headers().containsKey("x-evil"), r.headers().toString());
        assertFalse(r.target().contains("smuggled"), r.target());
        assertFalse(r.body().contains("\r") || r.body().contains("\n"), "raw CR/LF in the upstream body");
      }
      assertEquals(2, sent.size(), "the smuggled GET became a request: " + sent);
      for (String m : logs.messages()) {
        assertFalse(m.contains("\r") || m.contains("\n"), "a log message spans lines: " + m);
        assertFalse(m.contains("X-Evil") || m.contains("smuggled"), "caller bytes in a log line: " + m);
      }
      assertFalse(logs.messages().isEmpty());
    }
  }
}
