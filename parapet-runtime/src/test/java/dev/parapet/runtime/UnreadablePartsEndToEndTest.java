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
import dev.parapet.core.store.SpendKey;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parapet counts, prices and scans text and images. A file part (a PDF is billed as its text plus
 * an image of every page) or an audio part went up unread before: past {@code max_tokens_in}, the
 * budget's hold and the redaction scan alike, and audio priced at a route's text rate though OpenAI
 * bills it at many times that. They are refused now on every route, before anything is held or
 * sent, as are audio answers; and an earlier assistant turn's {@code refusal} part, which the
 * provider bills as text, counts as text.
 */
class UnreadablePartsEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  /** A user turn of a text part and {@code part}, plus {@code extra} top-level fields. */
  private static String ask(String part, String extra) {
    return "{\"max_tokens\":5," + extra + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        + "\"text\":\"what is in this?\"}" + (part.isEmpty() ? "" : "," + part) + "]}]}";
  }

  private static JsonNode error(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body()).path("error");
  }

  @Test
  void filesAudioAndUnknownPartsAreRefusedBeforeAnythingIsHeldOrSent() throws Exception {
    String secretType = "sk-proj-UNREADABLEPART0123456789";
    Map<String, String> refused = new LinkedHashMap<>();
    refused.put(ask("{\"type\":\"file\",\"file\":{\"filename\":\"q3.pdf\",\"file_data\":\"data:application/pdf;base64,"
        + "JVBERi0xLjcK\"}}", ""), "messages[0].content[1].type: 'file' is not allowed");
    refused.put(ask("{\"type\":\"file\",\"file\":{\"file_id\":\"file-abc123\"}}", ""),
        "messages[0].content[1].type: 'file' is not allowed");
    refused.put(ask("{\"type\":\"input_audio\",\"input_audio\":{\"data\":\"UklGRg==\",\"format\":\"wav\"}}", ""),
        "messages[0].content[1].type: 'input_audio' is not allowed");
    refused.put(ask("", "\"modalities\":[\"text\",\"audio\"],\"audio\":{\"voice\":\"alloy\",\"format\":\"wav\"},"),
        "modalities: audio answers are not allowed");
    refused.put(ask("", "\"audio\":{\"voice\":\"alloy\",\"format\":\"wav\"},"), "audio: audio answers are not allowed");
    refused.put(ask("{\"type\":\"" + secretType + "\",\"text\":\"x\"}", ""),
        "messages[0].content[1].type: not a part type Parapet reads (expected text, image_url or refusal)");
    refused.put(ask("{\"text\":\"no type\"}", ""), "messages[0].content[1].type: required");
    refused.put(ask("\"a bare string\"", ""), "messages[0].content[1]: expected an object");
    refused.put(ask("{\"type\":\"text\",\"text\":{\"nested\":\"text\"}}", ""), "messages[0].content[1].text: expected a string");

    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      // redaction off: the count and the price alone are reason enough to refuse
      Route claude = new Route("claude", "prod", new ProviderSpec(ProviderType.ANTHROPIC, "claude-sonnet-4-20250514",
          Optional.of("OPENAI_KEY"), Optional.of(provider.url("/v1").uri()), List.of(),
          Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
          SealedGateway.policy(6000, 50, "5", true, RedactionPolicy.OFF));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("open", provider.url("/v1").uri(),
              SealedGateway.policy(6000, 50, "5", true, RedactionPolicy.OFF), List.of()),
          claude));
      try (Gateway g = sg.start()) {
        for (String route : List.of("open", "claude")) {
          for (Map.Entry<String, String> c : refused.entrySet()) {
            HttpResponse<String> r = post(g.port(), "/routes/" + route, c.getKey());
            assertEquals(400, r.statusCode(), route + " " + c.getKey() + ": " + r.body());
            assertEquals("invalid_request", error(r).path("code").asText(), r.body());
            assertTrue(error(r).path("message").asText().startsWith(c.getValue()), route + ": " + r.body());
            assertFalse(r.body().contains(secretType), "the caller's part type is not echoed: " + r.body());
          }
        }
        assertEquals(0, provider.getRequestCount(), "nothing was sent for the refused calls");

        // text, image and refusal parts pass, byte for byte
        provider.enqueue(AnswerPolicyEndToEndTest.json(SealedGateway.MODEL, "a chart", "fp_1"));
        String fine = "{\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"draw it\"},"
            + "{\"role\":\"assistant\",\"content\":[{\"type\":\"refusal\",\"refusal\":\"I can't draw.\"}]},"
            + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"describe it\"},"
            + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://images.example.com/c.png\",\"detail\":\"low\"}}]}]}";
        HttpResponse<String> ok = post(g.port(), "/routes/open", fine);
        assertEquals(200, ok.statusCode(), ok.body());
        JsonNode sent = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
        assertEquals(JSON.readTree(fine).path("messages"), sent.path("messages"));

        // on an anthropic route the refusal part is what the assistant said: a text block
        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json").body(
            "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-20250514\","
                + "\"content\":[{\"type\":\"text\",\"text\":\"a chart\"}],\"stop_reason\":\"end_turn\","
                + "\"usage\":{\"input_tokens\":1700,\"output_tokens\":3}}").build());
        HttpResponse<String> claudeOk = post(g.port(), "/routes/claude", fine);
        assertEquals(200, claudeOk.statusCode(), claudeOk.body());
        JsonNode toClaude = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
        assertEquals("I can't draw.", toClaude.path("messages").path(1).path("content").path(0).path("text").asText(),
            toClaude.toString());
      }
      // the refused calls held nothing: today's spend is the answered calls' usage at $1 per 1M
      Map<SpendKey, Long> spend = sg.spendToday();
      assertEquals(15_000L, SealedGateway.route(spend, "open"));
      assertEquals(1_703_000L, SealedGateway.route(spend, "claude"));
    }
    LeakWatch.assertNoLeaks();
  }

  /** A refusal part is billed as text: it counts against max_tokens_in like any text part. */
  @Test
  void anEarlierTurnsRefusalPartCountsAsPrompt() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("tight", provider.url("/v1").uri(),
              SealedGateway.policy(100, 5, "5", true, RedactionPolicy.OFF), List.of())));
      String conversation = "{\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"write it\"},"
          + "{\"role\":\"assistant\",\"content\":[{\"type\":\"refusal\",\"refusal\":\"%s\"}]},"
          + "{\"role\":\"user\",\"content\":\"why not?\"}]}";
      try (Gateway g = sg.start()) {
        HttpResponse<String> long_ = post(g.port(), "/routes/tight", conversation.formatted(SealedGateway.words(600)));
        assertEquals(400, long_.statusCode(), long_.body());
        assertEquals("max_tokens_in_exceeded", error(long_).path("code").asText());

        provider.enqueue(AnswerPolicyEndToEndTest.json(SealedGateway.MODEL, "policy", "fp_1"));
        HttpResponse<String> short_ = post(g.port(), "/routes/tight", conversation.formatted("I can't."));
        assertEquals(200, short_.statusCode(), short_.body());
        assertEquals(1, provider.getRequestCount(), "nothing was sent for the refused call");
      }
    }
    LeakWatch.assertNoLeaks();
  }
}
