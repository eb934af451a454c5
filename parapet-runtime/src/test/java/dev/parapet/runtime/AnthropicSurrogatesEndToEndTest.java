package dev.parapet.runtime;

import static dev.parapet.runtime.testing.AnthropicSse.event;
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
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JSON carries any UTF-16 unit as a {@code \}{@code uXXXX} escape, lone surrogates too (RFC 8259
 * §8.2), and a provider streaming an emoji may split its surrogate pair between two deltas: the
 * high half escaped at the end of one, the low half at the start of the next. On an openai route
 * the caller gets the provider's payloads as they are; on an anthropic route, whose chunks Parapet
 * writes anew, each half must reach the caller as the escape it was, so that the caller's text,
 * joined, is the provider's, and not two {@code ?} (what encoding a lone surrogate to UTF-8 gives).
 * Found by {@link StreamFidelityEndToEndTest}.
 */
class AnthropicSurrogatesEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MODEL = "claude-sonnet-4-20250514";

  @TempDir Path tmp;

  private static Route claude(URI base, RedactionPolicy redaction) {
    return new Route("claude", "prod", new ProviderSpec(ProviderType.ANTHROPIC, MODEL, Optional.of("OPENAI_KEY"),
        Optional.of(base), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
        SealedGateway.policy(6000, 3000, "5", true, redaction));
  }


  private static String delta(int index, String type, String field, String escapedText) {
    return event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":" + index + ",\"delta\":{\"type\":\""
        + type + "\",\"" + field + "\":\"" + escapedText + "\"}}");
  }

  /** "a😀b" with the emoji's halves in two deltas, then a lone low surrogate; a tool input split the same way. */
  private static final String STREAM = event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
      + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + MODEL + "\",\"content\":[],"
      + "\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}")
      + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
      + delta(0, "text_delta", "text", "a\\ud83d")
      + delta(0, "text_delta", "text", "\\uDE00b")
      + delta(0, "text_delta", "text", " \\udfff.")
      + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
      + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
          + "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"say\",\"input\":{}}}")
      + delta(1, "input_json_delta", "partial_json", "{\\\"q\\\":\\\"x\\ud83c")
      + delta(1, "input_json_delta", "partial_json", "\\udf89\\\"}")
      + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}")
      + event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":9}}")
      + event("message_stop", "{\"type\":\"message_stop\"}");

  private static final String ASK = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"smile\"}]}";

  @Test
  void aSurrogatePairSplitAcrossDeltasAndALoneSurrogateReachTheCallerAsSent() throws Exception {
    // scanning answers too: the scanner and the counter read the halves without harm
    for (RedactionPolicy redaction : List.of(RedactionPolicy.OFF,
        new RedactionPolicy(RedactionMode.WARN, List.of(RedactionPattern.EMAIL, RedactionPattern.API_KEY), true))) {
      try (MockWebServer provider = new MockWebServer()) {
        provider.start();
        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream")
            .chunkedBody(STREAM, 7).build());
        SealedGateway sg = new SealedGateway(tmp.resolve("data-" + redaction.scansAnswers()), Optional.empty(),
            List.of(claude(provider.url("/v1").uri(), redaction)));
        try (Gateway g = sg.start()) {
          HttpResponse<String> r = post(g.port(), "/routes/claude", ASK);
          assertEquals(200, r.statusCode(), r.body());
          assertFalse(r.body().contains("?"), "a half became '?': " + r.body());
          StringBuilder text = new StringBuilder();
          StringBuilder args = new StringBuilder();
          for (String line : r.body().split("\n")) {
            if (!line.startsWith("data: {")) {
              continue;
            }
            JsonNode delta = JSON.readTree(line.substring(6)).path("choices").path(0).path("delta");
            text.append(delta.path("content").asText(""));
            args.append(delta.path("tool_calls").path(0).path("function").path("arguments").asText(""));
          }
          assertEquals("a\ud83d\ude00b \udfff.", text.toString(), r.body());
          assertEquals("{\"q\":\"x\ud83c\udf89\"}", args.toString(), r.body());
          assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
          assertFalse(r.body().contains("parapet_error"), r.body());
        }
        assertEquals(9, sg.usageToday("claude").tokensOut(), "the row holds Anthropic's usage");
      }
    }
    LeakWatch.assertNoLeaks();
  }
}
