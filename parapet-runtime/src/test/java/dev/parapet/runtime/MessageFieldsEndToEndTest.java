package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
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
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A message's fields beside its content: what the provider reads is counted, and what an anthropic
 * route cannot send is refused by name rather than dropped.
 */
class MessageFieldsEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CLAUDE = "claude-sonnet-4-20250514";

  @TempDir Path tmp;

  private static Route claude(URI base) {
    return new Route("claude", "prod", new ProviderSpec(ProviderType.ANTHROPIC, CLAUDE, Optional.of("OPENAI_KEY"),
        Optional.of(base), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
        SealedGateway.policy(1000, 100, "5", true, RedactionPolicy.OFF));
  }

  /**
   * OpenAI answers a refused turn with its {@code refusal}; a caller replays that message, and the
   * provider reads the refusal as the turn's text. It is billed input, so it
   * counts against {@code max_tokens_in}: left out, any assistant turn could carry a megabyte of
   * uncounted prompt.
   */
  @Test
  void aReplayedRefusalCountsAsPrompt() throws Exception {
    String body = "{\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
        + "{\"role\":\"assistant\",\"content\":\"\",\"refusal\":\"" + SealedGateway.words(20_000) + "\"},"
        + "{\"role\":\"user\",\"content\":\"again\"}]}";
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          SealedGateway.limitedAndCheap(provider.url("/v1").uri(), 1000, 1000, "5"));
      try (Gateway g = sg.start()) {
        HttpResponse<String> r = post(g.port(), "/routes/limited", body);
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("max_tokens_in_exceeded", JSON.readTree(r.body()).path("error").path("code").asText());
        assertEquals(0, provider.getRequestCount(), "nothing was sent");
      }
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void anAnthropicRouteRefusesAMessagesNameAndFieldsItCannotSendByName() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(claude(provider.url("/v1").uri())));
      try (Gateway g = sg.start()) {
        for (String[] c : new String[][] {
            {"{\"role\":\"user\",\"name\":\"alice\",\"content\":\"hi\"}", "messages[0].name"},
            {"{\"role\":\"system\",\"name\":\"rules\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"hi\"}",
                "messages[0].name"},
            {"{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\","
                + "\"reasoning_content\":\"thought\"},{\"role\":\"user\",\"content\":\"and?\"}",
                "messages[1].reasoning_content"},
            {"{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\","
                + "\"audio\":{\"id\":\"audio_1\"}},{\"role\":\"user\",\"content\":\"and?\"}",
                "messages[1].audio"},
            {"{\"role\":\"user\",\"content\":\"hi\",\"tool_call_id\":\"x\"}", "messages[0].tool_call_id"},
        }) {
          HttpResponse<String> r = post(g.port(), "/routes/claude",
              "{\"max_tokens\":10,\"messages\":[" + c[0] + "]}");
          assertEquals(400, r.statusCode(), c[0] + " -> " + r.body());
          JsonNode error = JSON.readTree(r.body()).path("error");
          assertEquals("invalid_request", error.path("code").asText());
          assertTrue(error.path("message").asText().startsWith(c[1] + ": not supported on an anthropic route"),
              error.toString());
          assertFalse(error.path("message").asText().contains("alice"), "the value is never echoed");
        }
        assertEquals(0, provider.getRequestCount(), "nothing was sent for the refused calls");
      }
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * A history an OpenAI SDK replays as it received it: nulls, empty annotations, and a refused turn
   * whose refusal Claude reads as that turn's text.
   */
  @Test
  void anAnthropicRouteTakesAnOpenAiAnswerReplayedAsItCame() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json").body(
          "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + CLAUDE + "\","
              + "\"content\":[{\"type\":\"text\",\"text\":\"fine\"}],\"stop_reason\":\"end_turn\","
              + "\"usage\":{\"input_tokens\":30,\"output_tokens\":2}}").build());
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(claude(provider.url("/v1").uri())));
      try (Gateway g = sg.start()) {
        HttpResponse<String> r = post(g.port(), "/routes/claude", "{\"max_tokens\":10,\"messages\":["
            + "{\"role\":\"user\",\"content\":\"hi\",\"name\":null},"
            + "{\"role\":\"assistant\",\"content\":\"hello\",\"refusal\":null,\"annotations\":[],\"audio\":null,"
            + "\"function_call\":null,\"tool_calls\":null},"
            + "{\"role\":\"user\",\"content\":\"do the bad thing\"},"
            + "{\"role\":\"assistant\",\"content\":\"\",\"refusal\":\"I can't help with that.\"},"
            + "{\"role\":\"user\",\"content\":\"ok\"}]}");
        assertEquals(200, r.statusCode(), r.body());
      }
      RecordedRequest sent = provider.takeRequest(5, TimeUnit.SECONDS);
      assertEquals(JSON.readTree("""
          [{"role":"user","content":[{"type":"text","text":"hi"}]},
           {"role":"assistant","content":[{"type":"text","text":"hello"}]},
           {"role":"user","content":[{"type":"text","text":"do the bad thing"}]},
           {"role":"assistant","content":[{"type":"text","text":"I can't help with that."}]},
           {"role":"user","content":[{"type":"text","text":"ok"}]}]"""),
          JSON.readTree(sent.getBody().utf8()).path("messages"));
    }
    LeakWatch.assertNoLeaks();
  }
}
