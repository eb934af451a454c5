package dev.parapet.runtime;

import static dev.parapet.runtime.testing.TestConfigs.TOKEN_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A request refused from its head (no or an unknown bearer token, unknown path, wrong method) is
 * answered before its body is read, and the body that follows is dropped unread: a caller without
 * a token can make Parapet collect nothing, nor get a 100 Continue. The connection stays usable
 * when the dropped body is announced within the limit; otherwise the answer closes it.
 */
class HeadRefusalTest {
  private static final int MAX_BODY = 64 * 1024;
  private static final String CHAT = "{\"model\":\"summarizer\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  private GatewayFixture fx;

  @BeforeEach
  void start() throws Exception {
    fx = new GatewayFixture(s -> s.withMaxBodyBytes(MAX_BODY));
  }

  @AfterEach
  void stop() throws Exception {
    fx.close();
    LeakWatch.assertNoLeaks();
  }

  private static String head(String method, String path, String token, String extra) {
    return method + " " + path + " HTTP/1.1\r\nHost: p\r\n"
        + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")
        + "Content-Type: application/json\r\n" + extra + "\r\n";
  }

  private static void assertError(RawHttp.Response r, int status, String code) {
    assertEquals(status, r.status(), r.body());
    assertTrue(r.body().contains("\"code\":\"" + code + "\""), r.body());
  }

  @Test
  void noTokenIsAnsweredBeforeTheBodyIsSentAndTheBodyIsDroppedOnAConnectionThatGoesOn() throws Exception {
    try (RawHttp c = fx.raw()) {
      // Only the head: under the old order nothing answered until the whole body had been collected.
      c.send(head("POST", "/v1/chat/completions", null, "Content-Length: " + MAX_BODY + "\r\n"));
      RawHttp.Response r = c.read();
      assertError(r, 401, "invalid_token");
      assertNull(r.header("connection"), "kept alive: the announced body is within the limit");
      // The body still comes (the caller had sent it already); it is read and dropped, not parsed
      // as a request and not passed on. The body looks like a request, to be sure it is not one.
      String filler = "GET /v1/models HTTP/1.1\r\n\r\n";
      StringBuilder body = new StringBuilder();
      while (body.length() < MAX_BODY) {
        body.append(filler);
      }
      c.send(body.substring(0, MAX_BODY));
      c.send(head("POST", "/v1/chat/completions", TOKEN_A, "Content-Length: " + CHAT.length() + "\r\n") + CHAT);
      assertEquals(200, c.read().status());
    }
    assertEquals(1, fx.terminal.received.size(), "only the authenticated request went on");
  }

  @Test
  void anUnknownTokenWithAPipelinedRequestBehindItsBody() throws Exception {
    try (RawHttp c = fx.raw()) {
      String refused = head("POST", "/routes/summarizer", "not-a-token", "Content-Length: " + CHAT.length() + "\r\n") + CHAT;
      String ok = head("POST", "/routes/summarizer", TOKEN_A, "Content-Length: " + CHAT.length() + "\r\n") + CHAT;
      c.send(refused + ok + refused);
      assertError(c.read(), 401, "invalid_token");
      assertEquals(200, c.read().status());
      assertError(c.read(), 401, "invalid_token");
    }
    assertEquals(1, fx.terminal.received.size());
  }

  @Test
  void unknownPathAndWrongMethodAreAnsweredFromTheHeadToo() throws Exception {
    try (RawHttp c = fx.raw()) {
      c.send(head("POST", "/nowhere", TOKEN_A, "Content-Length: 1000\r\n"));
      assertError(c.read(), 404, "not_found");
      c.send("x".repeat(1000));
      c.send(head("PUT", "/v1/chat/completions", TOKEN_A, "Content-Length: 1000\r\n"));
      assertError(c.read(), 405, "method_not_allowed");
      c.send("y".repeat(1000));
      c.send(head("POST", "/v1/chat/completions", TOKEN_A, "Content-Length: " + CHAT.length() + "\r\n") + CHAT);
      assertEquals(200, c.read().status());
    }
  }

  @Test
  void theResponsesApiIsToldWhatToCallInstead() throws Exception {
    // What @ai-sdk/openai's default model sends: OpenAI's Responses API, which Parapet does not serve.
    String hint = "\"message\":\"no such endpoint: the Responses API is not served; use POST /v1/chat/completions\"";
    try (RawHttp c = fx.raw()) {
      for (String path : new String[] {"/v1/responses", "/v1/responses?x=%3Cscript%3E", "/v1/responses/resp_1"}) {
        c.send(head("POST", path, TOKEN_A, "Content-Length: " + CHAT.length() + "\r\n") + CHAT);
        RawHttp.Response r = c.read();
        assertError(r, 404, "not_found");
        assertTrue(r.body().contains(hint), r.body());
        assertFalse(r.body().contains("script") || r.body().contains("resp_1"), "nothing of the request echoed");
      }
      for (String path : new String[] {"/v1/responsesX", "/v2/responses", "/nowhere"}) {
        c.send(head("POST", path, TOKEN_A, "Content-Length: " + CHAT.length() + "\r\n") + CHAT);
        RawHttp.Response r = c.read();
        assertError(r, 404, "not_found");
        assertTrue(r.body().contains("\"message\":\"no such endpoint\""), r.body());
      }
    }
  }

  @Test
  void expectContinueWithoutATokenGetsTheRefusalInsteadOf100AndTheConnectionCloses() throws Exception {
    try (RawHttp c = fx.raw()) {
      c.send(head("POST", "/v1/chat/completions", null, "Expect: 100-continue\r\nContent-Length: 500\r\n"));
      RawHttp.Response r = c.read();
      assertError(r, 401, "invalid_token");
      assertEquals("close", r.header("connection"));
      assertTrue(c.closedByServer());
    }
    // With a token, 100 Continue as before: FrontEndToEndTest#expectContinueIsHonoured.
  }

  @Test
  void aBodyTooLongOrChunkedBehindARefusedHeadClosesTheConnection() throws Exception {
    try (RawHttp c = fx.raw()) {
      c.send(head("POST", "/v1/chat/completions", null, "Content-Length: 999999999\r\n"));
      RawHttp.Response r = c.read();
      assertError(r, 401, "invalid_token"); // the token first: a stranger learns nothing of limits
      assertEquals("close", r.header("connection"));
      assertTrue(c.closedByServer());
    }
    try (RawHttp c = fx.raw()) {
      c.send(head("POST", "/v1/chat/completions", null, "Transfer-Encoding: chunked\r\n"));
      RawHttp.Response r = c.read();
      assertError(r, 401, "invalid_token");
      assertEquals("close", r.header("connection"));
      assertTrue(c.closedByServer());
    }
    assertTrue(fx.terminal.received.isEmpty());
  }
}
