package dev.parapet.runtime;

import static dev.parapet.runtime.testing.GatewayFixture.get;
import static dev.parapet.runtime.testing.GatewayFixture.post;
import static dev.parapet.runtime.testing.TestConfigs.TOKEN_A;
import static dev.parapet.runtime.testing.TestConfigs.TOKEN_B;
import static dev.parapet.runtime.testing.TestConfigs.TOKEN_C;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.testing.RawHttp.Response;
import dev.parapet.runtime.testing.TestConfigs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The front of the pipeline over a real loopback socket, terminal = a recording stub. */
class FrontEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static GatewayFixture fx;

  @BeforeAll
  static void start() throws Exception {
    fx = new GatewayFixture(s -> s.withMaxBodyBytes(64 * 1024));
  }

  @AfterAll
  static void stop() throws Exception {
    fx.close();
    dev.parapet.runtime.testing.LeakWatch.assertNoLeaks();
  }

  @BeforeEach
  void clear() {
    fx.terminal.received.clear();
  }

  private static Response call(String raw) throws Exception {
    try (RawHttp c = fx.raw()) {
      Response r = c.send(raw).read();
      assertNotNull(r.header("x-parapet-request-id"), "every response carries a request id");
      assertTrue(r.header("x-parapet-request-id").matches("[0-9a-f]{32}"));
      assertEquals(r.header("x-parapet-request-id"), r.header("x-request-id"), "where OpenAI SDKs read it");
      return r;
    }
  }

  private static void assertError(Response r, int status, String code) throws Exception {
    assertEquals(status, r.status(), r.body());
    JsonNode e = JSON.readTree(r.body()).get("error");
    assertEquals("parapet_error", e.get("type").asText());
    assertEquals(code, e.get("code").asText());
    assertEquals(r.header("x-parapet-request-id"), e.get("request_id").asText());
  }

  @Test
  void healthNeedsNoTokenAndReportsTheChecksum() throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + fx.port + "/_parapet/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    assertEquals("{\"status\":\"ok\",\"config_sha256\":\"" + TestConfigs.SHA + "\"}", r.body());
    assertTrue(r.headers().firstValue("x-parapet-request-id").isPresent());
  }

  @Test
  void missingMalformedOrUnknownTokensAre401BeforeAnythingElse() throws Exception {
    String forbiddenRoute = "/routes/elsewhere";
    for (String auth : new String[] {null, "", "Basic abc", "Bearer", "Bearer ", "Bearer  ",
        "Bearer a b", "Bearer " + "x".repeat(513), "Bearer unknown-token", "Token " + TOKEN_A,
        "Bearer " + TOKEN_A + "\u00e9"}) {
      String head = "POST " + forbiddenRoute + " HTTP/1.1\r\nHost: p\r\n"
          + (auth == null ? "" : "Authorization: " + auth + "\r\n");
      // Not JSON, forbidden route: 401 still comes first.
      Response r = call(head + "Content-Length: 3\r\n\r\nxyz");
      assertError(r, 401, "invalid_token");
      assertTrue(r.header("www-authenticate").startsWith("Bearer"));
    }
    Response twoHeaders = call("GET /v1/models HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer " + TOKEN_A
        + "\r\nAuthorization: Bearer " + TOKEN_A + "\r\n\r\n");
    assertError(twoHeaders, 401, "invalid_token");
    assertError(call(post("/v1/chat/completions", "nope", "not json")), 401, "invalid_token");
    assertError(call(post("/routes/UPPER", null, CHAT)), 401, "invalid_token");
    assertTrue(fx.terminal.received.isEmpty());
  }

  @Test
  void schemeIsCaseInsensitive() throws Exception {
    Response r = call(("POST /routes/summarizer HTTP/1.1\r\nHost: p\r\nauthorization: bEaReR " + TOKEN_A
        + "\r\nContent-Length: " + CHAT.length() + "\r\n\r\n" + CHAT));
    assertEquals(200, r.status());
  }

  @Test
  void forbiddenRoutesAllLookTheSame() throws Exception {
    String[] paths = {"/routes/writer", "/routes/elsewhere", "/routes/nonexistent", "/routes/Bad!Name",
        "/routes/summarizer/x", "/routes/%73ummarizer"};
    String expected = null;
    for (String path : paths) {
      Response r = call(post(path, TOKEN_A, CHAT));
      assertError(r, 403, "route_forbidden");
      String normalized = r.body().replace(r.header("x-parapet-request-id"), "ID");
      if (expected == null) {
        expected = normalized;
      }
      assertEquals(expected, normalized, path);
    }
    for (String model : new String[] {"writer", "elsewhere", "nonexistent"}) {
      Response r = call(post("/v1/chat/completions", TOKEN_A,
          "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
      assertError(r, 403, "route_forbidden");
      assertEquals(expected, r.body().replace(r.header("x-parapet-request-id"), "ID"));
    }
    assertTrue(fx.terminal.received.isEmpty());
  }

  @Test
  void otherModelOnARouteIsModelNotAllowed() throws Exception {
    assertError(call(post("/routes/summarizer", TOKEN_A,
        "{\"model\":\"gpt-5\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")), 403, "model_not_allowed");
    assertEquals(200, call(post("/routes/summarizer", TOKEN_A,
        "{\"model\":\"summarizer\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).status());
    assertEquals(200, call(post("/routes/summarizer", TOKEN_A,
        "{\"model\":\"echo-2024-01-01\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).status());
  }

  @Test
  void badBodiesAre400() throws Exception {
    String[] bodies = {"not json", "", "[]", "\"s\"", "{", "{\"messages\":[]}", "{}",
        "{\"messages\":\"hi\"}", "{\"messages\":[1]}", "{\"messages\":[{\"content\":\"x\"}]}",
        "{\"messages\":[{\"role\":1,\"content\":\"x\"}]}", "{\"messages\":[{\"role\":\"user\",\"content\":5}]}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":\"yes\"}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":-3}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":1.5}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_completion_tokens\":\"9\"}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} trailing",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"a\":1,\"a\":2}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":" + "9".repeat(200) + "}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"deep\":" + "[".repeat(5000) + "]".repeat(5000) + "}",
    };
    for (String body : bodies) {
      assertError(call(post("/routes/summarizer", TOKEN_A, body)), 400, "invalid_request");
    }
    assertError(call(post("/v1/chat/completions", TOKEN_A, "{\"messages\":[]}")), 400, "invalid_request");
    assertError(call(post("/v1/chat/completions", TOKEN_A, "[" .repeat(30000))), 400, "invalid_request");
    assertTrue(fx.terminal.received.isEmpty());
  }

  /** Each unreadable body says which way it is unreadable, in our words, quoting nothing of it. */
  @Test
  void anUnreadableBodySaysWhy() throws Exception {
    String ok = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]";
    Map<String, String> why = new LinkedHashMap<>();
    why.put(ok + ",\"secret-name-7f3\":1,\"secret-name-7f3\":2}", "an object with the same key twice");
    why.put(ok + ",\"n\":" + "9".repeat(200) + "}", "a number longer than 100 digits");
    why.put(ok + ",\"deep\":" + "[".repeat(100) + "]".repeat(100) + "}", "nesting deeper than 64");
    why.put(ok + ",\"secret-name-7f3\": nope}", "body is not valid JSON");
    why.put(ok + "} trailing", "body is not valid JSON");
    for (Map.Entry<String, String> c : why.entrySet()) {
      Response r = call(post("/routes/summarizer", TOKEN_A, c.getKey()));
      assertError(r, 400, "invalid_request");
      String message = JSON.readTree(r.body()).at("/error/message").asText();
      assertTrue(message.contains(c.getValue()), message);
      assertFalse(message.contains("secret-name-7f3"), message);
      assertFalse(message.contains("nope"), message);
    }
    assertTrue(fx.terminal.received.isEmpty());
  }

  @Test
  void unknownPathsAre404AndWrongMethods405WithAllow() throws Exception {
    for (String path : new String[] {"/", "/v1/chat/completions/", "/v1//chat/completions", "/_parapet",
        "/V1/models", "/v1/chat/../models", "/v1/%63hat/completions", "/routes/", "\\v1\\models"}) {
      assertError(call(post(path, TOKEN_A, CHAT)), 404, "not_found");
    }
    assertError(call(get("/_parapet/x", null)), 404, "not_found");
    assertError(call(get("/_parapet/health/../usage", null)), 404, "not_found");
    Response r = call(post("/_parapet/health", null, "{}"));
    assertError(r, 405, "method_not_allowed");
    assertEquals("GET", r.header("allow"));
    assertEquals("GET", call(post("/_parapet/usage", null, "{}")).header("allow"));
    r = call(get("/routes/summarizer", TOKEN_A));
    assertError(r, 405, "method_not_allowed");
    assertEquals("POST", r.header("allow"));
    assertEquals("POST", call(get("/v1/chat/completions", TOKEN_A)).header("allow"));
    r = call(post("/v1/models", TOKEN_A, "{}"));
    assertEquals("GET", r.header("allow"));
  }

  @Test
  void aGatewayEndpointChecksTheTokenBeforeTheMethod() throws Exception {
    String[][] wrong = {{"GET", "/v1/chat/completions", "POST"}, {"PUT", "/routes/x", "POST"},
        {"DELETE", "/routes/summarizer", "POST"}, {"PATCH", "/v1/chat/completions", "POST"},
        {"OPTIONS", "/routes/summarizer", "POST"}, {"POST", "/v1/models", "GET"}, {"PUT", "/v1/models", "GET"},
        {"DELETE", "/v1/models/summarizer", "GET"}, {"POST", "/v1/models/nope", "GET"}};
    for (String[] w : wrong) {
      for (String token : new String[] {null, "unknown-token"}) {
        Response r = call(w[0] + " " + w[1] + " HTTP/1.1\r\nHost: p\r\n"
            + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n");
        assertError(r, 401, "invalid_token");
        assertTrue(r.header("www-authenticate").startsWith("Bearer"), w[0] + " " + w[1]);
        assertEquals(null, r.header("allow"), "no method hint before the token: " + w[0] + " " + w[1]);
      }
      Response r = call(w[0] + " " + w[1] + " HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer " + TOKEN_A + "\r\n\r\n");
      assertError(r, 405, "method_not_allowed");
      assertEquals(w[2], r.header("allow"), w[0] + " " + w[1]);
    }
    // Outside the gateway endpoints nothing changes: unknown paths are 404 and /_parapet/ is 405
    // for any method, token or not.
    assertError(call("PUT /nowhere HTTP/1.1\r\nHost: p\r\n\r\n"), 404, "not_found");
    assertError(call("DELETE /_parapet/usage HTTP/1.1\r\nHost: p\r\n\r\n"), 405, "method_not_allowed");
    assertTrue(fx.terminal.received.isEmpty());
  }

  @Test
  void headGetsNoBody() throws Exception {
    try (RawHttp c = fx.raw()) {
      c.send("HEAD /_parapet/health HTTP/1.1\r\nHost: p\r\n\r\n" + get("/_parapet/health", null));
      Response head = c.read(true);
      assertEquals(405, head.status());
      // The next response starts right after the HEAD response's head: no body was sent.
      Response next = c.read();
      assertEquals(200, next.status());
    }
  }

  @Test
  void modelsListsExactlyTheAllowedRoutes() throws Exception {
    JsonNode a = JSON.readTree(call(get("/v1/models", TOKEN_A)).body());
    assertEquals("list", a.get("object").asText());
    assertEquals(1, a.get("data").size());
    assertEquals("summarizer", a.get("data").get(0).get("id").asText());
    assertEquals("model", a.get("data").get(0).get("object").asText());
    assertEquals("parapet", a.get("data").get(0).get("owned_by").asText());
    JsonNode c = JSON.readTree(call(get("/v1/models?x=1", TOKEN_C)).body());
    assertEquals(2, c.get("data").size());
    assertEquals("writer", c.get("data").get(1).get("id").asText());
    JsonNode b = JSON.readTree(call(get("/v1/models", TOKEN_B)).body());
    assertEquals("elsewhere", b.get("data").get(0).get("id").asText());
  }

  /**
   * {@code client.models.retrieve(route)}: the list's entry for a route the token may call; one
   * identical 404 for a route that does not exist, another tenant's and one not granted, and for a
   * name written any other way (the path is matched raw, never decoded).
   */
  @Test
  void aModelIsRetrievedAsItsListEntryAndNoOtherRouteIsRevealed() throws Exception {
    JsonNode list = JSON.readTree(call(get("/v1/models", TOKEN_C)).body()).get("data");
    for (JsonNode entry : list) {
      Response r = call(get("/v1/models/" + entry.get("id").asText(), TOKEN_C));
      assertEquals(200, r.status(), r.body());
      assertEquals("application/json", r.header("content-type"));
      assertEquals(entry, JSON.readTree(r.body()));
    }
    assertEquals(list.get(0), JSON.readTree(call(get("/v1/models/summarizer?x=1", TOKEN_A)).body()));
    String message = null;
    for (String name : new String[] {"writer", "elsewhere", "nope", "%73ummarizer", "summarizer/", "SUMMARIZER",
        "summarizer%00", "..%2fsummarizer", "x".repeat(3000)}) {
      Response r = call(get("/v1/models/" + name, TOKEN_A));
      assertError(r, 404, "not_found");
      String m = JSON.readTree(r.body()).get("error").get("message").asText();
      assertEquals(message == null ? m : message, m, name);
      message = m;
      assertFalse(r.body().contains(name.length() > 20 ? name.substring(0, 20) : name + "\""), "not echoed: " + r.body());
    }
    assertError(call(get("/v1/models/summarizer", null)), 401, "invalid_token");
    assertError(call(get("/v1/models/summarizer", "unknown-token")), 401, "invalid_token");
    assertTrue(fx.terminal.received.isEmpty());
  }

  @Test
  void maxTokensAreCappedOrDefaultedAndModelPinned() throws Exception {
    call(post("/routes/summarizer", TOKEN_A, CHAT));
    GatewayRequest r1 = fx.terminal.received.poll(5, TimeUnit.SECONDS);
    assertEquals(TestConfigs.MAX_TOKENS_OUT, r1.body().get("max_tokens").asInt());
    assertEquals("echo-2024-01-01", r1.body().get("model").asText());
    assertEquals("svc-a", r1.service().label());
    assertFalse(r1.stream());

    call(post("/v1/chat/completions", TOKEN_C,
        "{\"model\":\"writer\",\"stream\":true,\"max_completion_tokens\":99999999999,"
            + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}]}"));
    GatewayRequest r2 = fx.terminal.received.poll(5, TimeUnit.SECONDS);
    assertEquals("writer", r2.route().name());
    assertEquals("echo-writer", r2.body().get("model").asText());
    assertEquals(TestConfigs.MAX_TOKENS_OUT, r2.body().get("max_completion_tokens").asInt());
    // one cap in both fields: a server that reads only max_tokens (Ollama) stops there too
    assertEquals(TestConfigs.MAX_TOKENS_OUT, r2.body().get("max_tokens").asInt());
    assertTrue(r2.stream());

    call(post("/routes/summarizer", TOKEN_A, "{\"max_tokens\":7,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"));
    assertEquals(7, fx.terminal.received.poll(5, TimeUnit.SECONDS).body().get("max_tokens").asInt());
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    fx.terminal.delayMs = 50;
    try (RawHttp c = fx.raw()) {
      StringBuilder all = new StringBuilder();
      for (int i = 0; i < 5; i++) {
        all.append(i == 2 ? post("/routes/writer", TOKEN_A, CHAT) : post("/routes/summarizer", TOKEN_A, CHAT));
      }
      c.send(all.toString());
      String previousId = "";
      for (int i = 0; i < 5; i++) {
        Response r = c.read();
        assertEquals(i == 2 ? 403 : 200, r.status(), "response " + i);
        assertNotEquals(previousId, r.header("x-parapet-request-id"));
        previousId = r.header("x-parapet-request-id");
      }
    } finally {
      fx.terminal.delayMs = 0;
    }
    assertEquals(4, fx.terminal.received.size());
  }

  @Test
  void requestsPipelinedBehindAClosingOneAreDroppedCleanly() throws Exception {
    try (RawHttp c = fx.raw()) {
      String closing = post("/routes/summarizer", TOKEN_A, CHAT).replace("Host: parapet\r\n",
          "Host: parapet\r\nConnection: close\r\n");
      c.send(closing + post("/routes/summarizer", TOKEN_A, CHAT) + post("/routes/summarizer", TOKEN_A, CHAT));
      assertEquals(200, c.read().status());
      assertTrue(c.closedByServer());
    }
    Thread.sleep(50);
    assertEquals(1, fx.terminal.received.size());
  }

  @Test
  void bodyTooLargeIs413ByLengthAndByChunks() throws Exception {
    try (RawHttp c = fx.raw()) {
      c.send("POST /routes/summarizer HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer " + TOKEN_A
          + "\r\nContent-Length: 999999\r\n\r\n");
      assertError(c.read(), 413, "request_too_large");
      assertTrue(c.closedByServer());
    }
    try (RawHttp c = fx.raw()) {
      c.send("POST /routes/summarizer HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer " + TOKEN_A
          + "\r\nTransfer-Encoding: chunked\r\n\r\n");
      String chunk = "a".repeat(8192);
      Response r = null;
      for (int i = 0; i < 20 && r == null; i++) {
        try {
          c.send(Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");
        } catch (java.io.IOException closed) {
          break;
        }
      }
      r = c.read();
      assertError(r, 413, "request_too_large");
    }
    try (RawHttp c = fx.raw()) {
      c.send("POST /routes/summarizer HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer " + TOKEN_A
          + "\r\nExpect: 100-continue\r\nContent-Length: 999999\r\n\r\n");
      assertError(c.read(), 413, "request_too_large");
    }
    assertTrue(fx.terminal.received.isEmpty());
  }

  @Test
  void expectContinueIsHonoured() throws Exception {
    try (RawHttp c = fx.raw()) {
      c.send("POST /routes/summarizer HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer " + TOKEN_A
          + "\r\nExpect: 100-continue\r\nContent-Length: " + CHAT.length() + "\r\n\r\n");
      assertEquals(100, c.read().status());
      c.send(CHAT);
      assertEquals(200, c.read().status());
    }
  }

  @Test
  void unknownExpectationIs417AndCloses() throws Exception {
    try (RawHttp c = fx.raw()) {
      c.send("POST /routes/summarizer HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer " + TOKEN_A
          + "\r\nExpect: teapot\r\nContent-Length: " + CHAT.length() + "\r\n\r\n");
      Response r = c.read();
      assertError(r, 417, "expectation_failed");
      assertEquals("application/json", r.header("content-type"));
      assertTrue(c.closedByServer());
    }
  }

  @Test
  void connectionCloseIsHonoured() throws Exception {
    try (RawHttp c = fx.raw()) {
      c.send("GET /_parapet/health HTTP/1.1\r\nHost: p\r\nConnection: close\r\n\r\n");
      assertEquals(200, c.read().status());
      assertTrue(c.closedByServer());
    }
    try (RawHttp c = fx.raw()) {
      c.send("GET /nope HTTP/1.0\r\n\r\n");
      assertEquals(404, c.read().status());
      assertTrue(c.closedByServer());
    }
  }

  @Test
  void longRequestLineIs414AndBigHeadersAre431() throws Exception {
    try (RawHttp c = fx.raw()) {
      c.send("GET /" + "a".repeat(5000) + " HTTP/1.1\r\nHost: p\r\n\r\n");
      Response r = c.read();
      assertError(r, 414, "uri_too_long");
      assertTrue(c.closedByServer());
    }
    try (RawHttp c = fx.raw()) {
      c.send("GET /v1/models HTTP/1.1\r\nHost: p\r\nX-Big: " + "b".repeat(17000) + "\r\n\r\n");
      Response r = c.read();
      assertError(r, 431, "headers_too_large");
      assertTrue(c.closedByServer());
    }
    // A trailer section past 16 KiB is 431 too, and says it is the trailers.
    try (RawHttp c = fx.raw()) {
      c.send("POST /routes/summarizer HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer " + TOKEN_A
          + "\r\nTransfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(CHAT.length()) + "\r\n" + CHAT
          + "\r\n0\r\nX-Big: " + "b".repeat(17000) + "\r\n\r\n");
      Response r = c.read();
      assertError(r, 431, "headers_too_large");
      assertTrue(r.body().contains("trailer section larger than 16384 bytes"), r.body());
      assertTrue(c.closedByServer());
    }
    assertTrue(fx.terminal.received.isEmpty());
    // 101 small fields stay far under 16 KiB but over the field count.
    StringBuilder many = new StringBuilder("GET /v1/models HTTP/1.1\r\nHost: p\r\n");
    for (int i = 0; i < 100; i++) {
      many.append("X-F").append(i).append(": v\r\n");
    }
    try (RawHttp c = fx.raw()) {
      c.send(many + "\r\n");
      Response r = c.read();
      assertError(r, 431, "headers_too_large");
      assertTrue(r.body().contains("more than 100 header fields"), r.body());
      assertTrue(c.closedByServer());
    }
    // 100 fields in all (Host + 99) is still fine.
    StringBuilder hundred = new StringBuilder("GET /_parapet/health HTTP/1.1\r\nHost: p\r\n");
    for (int i = 0; i < 99; i++) {
      hundred.append("X-F").append(i).append(": v\r\n");
    }
    try (RawHttp c = fx.raw()) {
      c.send(hundred + "\r\n");
      assertEquals(200, c.read().status());
    }
  }
}
