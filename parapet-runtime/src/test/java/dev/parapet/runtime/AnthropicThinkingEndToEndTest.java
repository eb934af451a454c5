package dev.parapet.runtime;

import static dev.parapet.runtime.testing.AnthropicSse.event;
import static dev.parapet.runtime.testing.AnthropicSse.delta;
import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An OpenAI caller's reasoning_effort on an anthropic route is Claude's extended thinking. The
 * thinking never reaches the caller (as an OpenAI reasoning model keeps its own), so it is not
 * scanned; but it is billed output, so a stream cut before Anthropic's final usage is still charged
 * for the thinking it carried.
 */
class AnthropicThinkingEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MODEL = "claude-sonnet-4-20250514";

  @TempDir Path tmp;

  private static Route claude(URI base, RedactionMode mode) {
    return claude("claude", base, mode);
  }

  private static Route claude(String name, URI base, RedactionMode mode) {
    return new Route(name, "prod", new ProviderSpec(ProviderType.ANTHROPIC, MODEL, Optional.of("OPENAI_KEY"),
        Optional.of(base), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
        SealedGateway.policy(6000, 3000, "5", true, new RedactionPolicy(mode, List.of(RedactionPattern.EMAIL), true)));
  }



  /** Thinking {@code thinking}, then the answer {@code text}; with Anthropic's final usage when {@code end}. */
  private static String stream(String thinking, String text, boolean end) throws Exception {
    String s = event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"model\":\"" + MODEL + "\",\"content\":[],\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
            + "{\"type\":\"thinking\",\"thinking\":\"\"}}")
        + delta(0, "thinking_delta", "thinking", thinking)
        + delta(0, "signature_delta", "signature", "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds")
        + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
            + "{\"type\":\"text\",\"text\":\"\"}}")
        + delta(1, "text_delta", "text", text);
    if (end) {
      s += event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}")
          + event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":40}}")
          + event("message_stop", "{\"type\":\"message_stop\"}");
    }
    return s;
  }

  private static MockResponse sse(String body) {
    return new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").chunkedBody(body, 64).build();
  }

  private static final String ASK = "{\"stream\":true,\"reasoning_effort\":\"%s\",\"messages\":[{\"role\":\"user\","
      + "\"content\":\"plan a trip\"}]}";

  @Test
  void theThinkingIsAskedForAndNeverSentOrScanned() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(sse(stream("The team lead is bob@example.com; Lisbon is warm in May.", "Go to Lisbon.", true)));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(claude(provider.url("/v1").uri(), RedactionMode.BLOCK)));
      try (Gateway g = sg.start()) {
        HttpResponse<String> r = post(g.port(), "/routes/claude", ASK.formatted("medium"));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"content\":\"Go to Lisbon.\""), r.body());
        assertFalse(r.body().contains("Lisbon is warm") || r.body().contains("bob@") || r.body().contains("EqQB"), r.body());
        assertFalse(r.body().contains("stream_truncated"), "thinking the caller never gets is not scanned: " + r.body());
        assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());

        // a whole answer: its thinking block is dropped, the usage (thinking included) is the bill
        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json").body(
            "{\"id\":\"msg_2\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + MODEL + "\","
                + "\"content\":[{\"type\":\"thinking\",\"thinking\":\"Porto is cheaper; carol@example.com knows\","
                + "\"signature\":\"EqQB\"},{\"type\":\"redacted_thinking\",\"data\":\"EmwKAhgB\"},"
                + "{\"type\":\"text\",\"text\":\"Go to Porto.\"}],\"stop_reason\":\"end_turn\","
                + "\"usage\":{\"input_tokens\":12,\"output_tokens\":900}}").build());
        HttpResponse<String> whole = post(g.port(), "/routes/claude", ASK.formatted("low").replace("\"stream\":true,", ""));
        assertEquals(200, whole.statusCode(), whole.body());
        JsonNode answer = JSON.readTree(whole.body());
        assertEquals("Go to Porto.", answer.path("choices").path(0).path("message").path("content").asText());
        assertEquals(900, answer.path("usage").path("completion_tokens").asInt());
        assertFalse(whole.body().contains("Porto is cheaper") || whole.body().contains("carol@") || whole.body().contains("EmwK"));

        // high thinks with 4,096 tokens: more than the route's max_tokens_out (3,000) leaves room for
        HttpResponse<String> high = post(g.port(), "/routes/claude", ASK.formatted("high"));
        assertEquals(400, high.statusCode(), high.body());
        assertTrue(JSON.readTree(high.body()).path("error").path("message").asText().contains("below max_tokens (3000 here"),
            high.body());
        assertEquals(2, provider.getRequestCount(), "nothing was sent for the refused call");
      }
      long spent = SealedGateway.route(sg.withStore(s -> {}), "claude");
      assertEquals((12 + 40 + 12 + 900) * 1_000L, spent, "both calls settled on Anthropic's usage");
      JsonNode sent = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
      assertEquals(3000, sent.path("max_tokens").asInt(), sent.toString());
      assertEquals("enabled", sent.path("thinking").path("type").asText(), sent.toString());
      assertEquals(2048, sent.path("thinking").path("budget_tokens").asInt(), sent.toString());
      assertFalse(sent.has("reasoning_effort"));
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * A stream the guard cuts (an address in the answer) never gets Anthropic's final usage. Claude 4
   * streams only a summary of its thinking and bills all of it, so what was seen (a few words here)
   * says nothing of the thinking billed: the worst case, as for encrypted thinking.
   */
  @Test
  void aCutStreamThatThinksIsChargedItsWorstCase() throws Exception {
    long spent = spentOnACutStream(stream("Lisbon, then Porto.", "Write to dave@example.com for tickets.", false),
        "then Porto");
    // the worst case: max_tokens 3,000 at 1,000 nano-USD a token, plus the prompt
    assertTrue(spent >= 3_000 * 1_000L, "charged " + spent + " nano-USD: the summarized thinking went uncharged");
  }

  /**
   * A stream the provider drops before its final usage: with thinking, the worst case; without,
   * what was seen (the thinking flag is the call's, not the route's).
   */
  @Test
  void aDroppedStreamIsChargedItsWorstCaseOnlyWhenItThinks() throws Exception {
    String dropped = stream("Lisbon, then Porto.", "Go to Lisbon.", false);
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(sse(dropped));
      provider.enqueue(sse(dropped.replace("Lisbon, then Porto.", "")));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          claude("thinks", provider.url("/v1").uri(), RedactionMode.OFF),
          claude("plain", provider.url("/v1").uri(), RedactionMode.OFF)));
      try (Gateway g = sg.start()) {
        HttpResponse<String> thinks = post(g.port(), "/routes/thinks", ASK.formatted("low"));
        assertTrue(thinks.body().contains("\"code\":\"upstream_error\""), thinks.body());
        HttpResponse<String> plain = post(g.port(), "/routes/plain", ASK.formatted("none"));
        assertTrue(plain.body().contains("\"code\":\"upstream_error\""), plain.body());
      }
      var spend = sg.withStore(s -> {});
      long thinking = SealedGateway.route(spend, "thinks");
      assertTrue(thinking >= 3_000 * 1_000L, "charged " + thinking + " nano-USD: the summarized thinking went uncharged");
      long plain = SealedGateway.route(spend, "plain");
      assertTrue(plain > 0 && plain < 100 * 1_000L, "without thinking, what was seen: " + plain);
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * What a claude route (block, scan_output) charges for {@code sse}, which leaks an address and is
   * cut for it; the answer carries neither the address nor {@code hidden}.
   */
  private long spentOnACutStream(String sse, String hidden) throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(sse(sse));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(claude(provider.url("/v1").uri(), RedactionMode.BLOCK)));
      try (Gateway g = sg.start()) {
        HttpResponse<String> r = post(g.port(), "/routes/claude", ASK.formatted("low"));
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("\"code\":\"stream_truncated\""), r.body());
        assertFalse(r.body().contains("dave@") || r.body().contains(hidden), r.body());
      }
      long spent = SealedGateway.route(sg.withStore(s -> {}), "claude");
      LeakWatch.assertNoLeaks();
      return spent;
    }
  }

  /**
   * Anthropic may send thinking encrypted ({@code redacted_thinking}): billed output that no count
   * can read. A stream carrying it that is cut before the final usage is charged its worst case,
   * not the few words seen.
   */
  @Test
  void aCutStreamWithRedactedThinkingIsChargedItsWorstCase() throws Exception {
    String redacted = event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":"
        + "\"message\",\"role\":\"assistant\",\"model\":\"" + MODEL + "\",\"content\":[],\"usage\":{\"input_tokens\":12,"
        + "\"output_tokens\":1}}}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
            + "{\"type\":\"redacted_thinking\",\"data\":\"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3\"}}")
        + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
            + "{\"type\":\"text\",\"text\":\"\"}}")
        + delta(1, "text_delta", "text", "Write to dave@example.com for tickets.");
    long spent = spentOnACutStream(redacted, "EmwK"); // the encrypted thinking is not sent on either
    // the worst case: max_tokens 3,000 at 1,000 nano-USD a token, plus the prompt
    assertTrue(spent >= 3_000 * 1_000L, "charged " + spent + " nano-USD: the redacted thinking went uncharged");
  }
}
