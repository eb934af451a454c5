package dev.parapet.runtime.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.PolicyThreads;
import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.HeldWork;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.testing.TestConfigs;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A request body larger than {@link RouteHandler#OFF_LOOP_BYTES} is parsed on the policy threads:
 * its loop serves other connections meanwhile, and the verdicts are those of a parse on the loop.
 * Over real sockets, with the leak detector at paranoid.
 */
class LargeBodyParseTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** ~40 KB of message text. */
  private static final String TEXT = "The quarter went well and the team shipped. ".repeat(900);

  private final HeldWork parses = new HeldWork();
  private GatewayFixture fixture;

  private static String chat(String model, String text) throws Exception {
    return JSON.writeValueAsString(JSON.createObjectNode()
        .put("model", model)
        .set("messages", JSON.createArrayNode().add(JSON.createObjectNode().put("role", "user").put("content", text))));
  }

  @BeforeEach
  void start() throws Exception {
    fixture = new GatewayFixture();
    RouteHandler.beforeOffLoopParseForTest = parses;
  }

  @AfterEach
  void stop() throws Exception {
    RouteHandler.beforeOffLoopParseForTest = null;
    parses.release();
    fixture.close();
    LeakWatch.assertNoLeaks();
  }

  private RawHttp.Response call(String path, String body) throws Exception {
    try (RawHttp c = fixture.raw()) {
      return c.send(GatewayFixture.post(path, TestConfigs.TOKEN_A, body)).read();
    }
  }

  @Test
  void bothLoopsServeOtherCallsWhileALargeBodyIsParsed() throws Exception {
    String big = chat("summarizer", TEXT);
    assertTrue(big.length() > RouteHandler.OFF_LOOP_BYTES);
    parses.hold();
    try (RawHttp waiting = fixture.raw()) {
      waiting.send(GatewayFixture.post("/v1/chat/completions", TestConfigs.TOKEN_A, big));
      assertTrue(parses.awaitHeld(), "the large body went to a policy thread");
      assertTrue(parses.threads.poll().startsWith("parapet-policy"));
      for (int i = 0; i < 4; i++) { // four connections: two on each of the gateway's two loops
        assertEquals(200, call("/routes/summarizer", chat("summarizer", "hi")).status());
        assertEquals("hi", fixture.terminal.received.poll(5, TimeUnit.SECONDS).body()
            .path("messages").path(0).path("content").asText());
      }
      assertNull(fixture.terminal.received.poll(), "the large request waits for its parse");
      assertTrue(parses.threads.isEmpty(), "small bodies are parsed on their loop");

      parses.release();
      assertEquals(200, waiting.read().status());
      GatewayRequest request = fixture.terminal.received.poll(5, TimeUnit.SECONDS);
      assertEquals("summarizer", request.route().name());
      assertEquals(TEXT, request.body().path("messages").path(0).path("content").asText());
      assertEquals(TestConfigs.MAX_TOKENS_OUT, request.body().path("max_tokens").asInt(), "normalised as on the loop");
    }
  }

  @Test
  void aLargeBodyGetsTheVerdictsOfAParseOnTheLoop() throws Exception {
    long before = PolicyThreads.completedTasks();
    String pad = TEXT;
    List<String[]> cases = List.of(
        new String[] {"/routes/summarizer", "{\"messages\":[{\"role\":\"user\",\"content\":\"" + pad + "\"}", "400", "invalid_request"},
        new String[] {"/routes/summarizer", "[\"" + pad + "\"]", "400", "invalid_request"},
        new String[] {"/routes/summarizer", "{\"messages\":[],\"pad\":\"" + pad + "\"}", "400", "invalid_request"},
        new String[] {"/v1/chat/completions", chat("writer", pad), "403", "route_forbidden"},
        new String[] {"/v1/chat/completions", "{\"messages\":[],\"pad\":\"" + pad + "\"}", "400", "invalid_request"},
        new String[] {"/routes/summarizer", chat("echo-writer", pad), "403", "model_not_allowed"});
    for (String[] c : cases) {
      RawHttp.Response r = call(c[0], c[1]);
      assertEquals(Integer.parseInt(c[2]), r.status(), r.body());
      assertEquals(c[3], JSON.readTree(r.body()).path("error").path("code").asText(), r.body());
      assertFalse(r.body().contains("quarter"), "the caller's text is never echoed");
      String thread = parses.threads.poll(5, TimeUnit.SECONDS);
      assertTrue(thread != null && thread.startsWith("parapet-policy"), c[1].substring(0, 20) + ": " + thread);
    }
    assertNull(fixture.terminal.received.poll(), "nothing refused went on");
    // The pool counts a task just after it hands the result back.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (PolicyThreads.completedTasks() < before + cases.size() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(before + cases.size(), PolicyThreads.completedTasks());
  }

  @Test
  void aCallerWhoLeavesWhileItsBodyIsParsedLeavesNothingBehind() throws Exception {
    parses.hold();
    try (RawHttp gone = fixture.raw()) {
      gone.send(GatewayFixture.post("/routes/summarizer", TestConfigs.TOKEN_A, chat("summarizer", TEXT)));
      assertTrue(parses.awaitHeld());
    }
    parses.release();
    assertEquals(200, call("/routes/summarizer", chat("summarizer", "hi")).status());
  }
}
