package dev.parapet.runtime;

import static dev.parapet.runtime.testing.AnthropicSse.event;
import static dev.parapet.runtime.ScannedAnswers.DONE;
import static dev.parapet.runtime.ScannedAnswers.chunk;
import static dev.parapet.runtime.ScannedAnswers.finish;
import static dev.parapet.runtime.ScannedAnswers.whole;
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
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JSON answer ({@code response_format} json_object or json_schema) is JSON text in {@code
 * content}, and the caller parses it (an OpenAI SDK's {@code .parse()}, {@code generateObject},
 * {@code withStructuredOutput}): an escape such as {@code \\u0040} reaches the caller as its
 * character, as in tool-call arguments (EscapedToolArgumentsEndToEndTest). Such content was
 * scanned as written only, so {@code dave\\u0040example.com} passed a {@code scan_output} route.
 * It is now also scanned decoded, whole (block: 422; warn: the plain form, scrubbed, still JSON)
 * and streamed (cut on the delta that completes the match decoded, an escape split across deltas
 * included), on openai and anthropic routes (the forced tool's input and structured outputs'
 * text both arrive as content). An answer that asked for no JSON is text: {@code \\u0040} there is
 * six characters, scanned as written, as before.
 */
class JsonAnswerContentEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BS = "\\";
  private static final String ESCAPED = "{\"to\":\"dave" + BS + "u0040example.com\",\"body\":\"secret plans\"}";
  private static final String SCHEMA = "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"mail\","
      + "\"schema\":{\"type\":\"object\",\"properties\":{\"to\":{\"type\":\"string\"},\"body\":{\"type\":\"string\"}}}}},";
  private static final String JSON_OBJECT = "\"response_format\":{\"type\":\"json_object\"},";
  @TempDir Path tmp;
  private int gateways;

  private static Route route(ProviderType type, String model, MockWebServer provider, RedactionMode mode) {
    return new Route("r", "prod", new ProviderSpec(type, model, Optional.of("OPENAI_KEY"),
        Optional.of(provider.url("/v1").uri()), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
        SealedGateway.policy(6000, 500, "5", false, new RedactionPolicy(mode, List.of(RedactionPattern.EMAIL), true)));
  }

  /** {@code answer} through a route of {@code type} and {@code mode}, asked with {@code fields} (each ending in a comma). */
  private HttpResponse<String> ask(ProviderType type, String model, RedactionMode mode, MockResponse answer,
      String fields) throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(answer);
      SealedGateway sg = new SealedGateway(tmp.resolve("data-" + gateways++), Optional.empty(),
          List.of(route(type, model, provider, mode)));
      try (Gateway g = sg.start()) {
        return post(g.port(), "/routes/r", "{" + fields + "\"max_tokens\":100,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"mail the team\"}]}");
      }
    } finally {
      LeakWatch.assertNoLeaks();
    }
  }

  private static MockResponse json(String body) {
    return new MockResponse.Builder().addHeader("Content-Type", "application/json").body(body).build();
  }

  private static MockResponse sse(String body) {
    return new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").chunkedBody(body, 40).build();
  }

  /** An OpenAI stream whose content comes in these deltas. */
  private static String openAiStream(String... deltas) throws Exception {
    StringBuilder s = new StringBuilder(chunk(0, "{\"role\":\"assistant\",\"content\":\"\"}"));
    for (String d : deltas) {
      s.append(chunk(0, "{\"content\":" + JSON.writeValueAsString(d) + "}"));
    }
    return s.append(finish(0)).append(DONE).toString();
  }

  private static void assertRefused(HttpResponse<String> r) {
    assertEquals(422, r.statusCode(), r.body());
    assertTrue(r.body().contains("\"code\":\"redaction_blocked\""), r.body());
    assertFalse(r.body().contains("example") || r.body().contains("secret plans"), r.body());
  }

  private static void assertCut(HttpResponse<String> r) {
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().contains("\"code\":\"stream_truncated\""), r.body());
    assertFalse(r.body().contains("secret plans"), r.body());
  }

  private static JsonNode message(HttpResponse<String> r) throws Exception {
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body()).path("choices").path(0).path("message");
  }

  /** What a warn route sends for {@link #ESCAPED}: the plain form, scrubbed, still JSON. */
  private static final String SCRUBBED = "{\"to\":\"[REDACTED:EMAIL]\",\"body\":\"secret plans\"}";

  @Test
  void aWholeJsonAnswerIsScannedDecodedOnAnOpenAiRoute() throws Exception {
    String answer = whole("\"content\":" + JSON.writeValueAsString(ESCAPED));
    for (String format : List.of(SCHEMA, JSON_OBJECT)) {
      assertRefused(ask(ProviderType.OPENAI, SealedGateway.MODEL, RedactionMode.BLOCK, json(answer), format));
      String content = message(ask(ProviderType.OPENAI, SealedGateway.MODEL, RedactionMode.WARN, json(answer), format))
          .path("content").asText();
      assertEquals(SCRUBBED, content, format);
      JSON.readTree(content);
    }
    // content as parts, the escape split between two of them: the caller parses them joined
    String parts = whole("\"content\":[{\"type\":\"text\",\"text\":" + JSON.writeValueAsString("{\"to\":\"dave" + BS + "u00")
        + "},{\"type\":\"text\",\"text\":" + JSON.writeValueAsString("40example.com\",\"body\":\"secret plans\"}") + "}]");
    assertRefused(ask(ProviderType.OPENAI, SealedGateway.MODEL, RedactionMode.BLOCK, json(parts), SCHEMA));
    JsonNode scrubbed = message(ask(ProviderType.OPENAI, SealedGateway.MODEL, RedactionMode.WARN, json(parts), SCHEMA))
        .path("content");
    assertEquals(SCRUBBED, scrubbed.path(0).path("text").asText() + scrubbed.path(1).path("text").asText(),
        scrubbed.toString());
  }

  /**
   * JSON cut short (the answer stopped at max_tokens, which a route caps) is no JSON to a strict
   * parser, yet a partial-JSON reader (a streaming SDK's, a repair) decodes its strings: read so too.
   */
  @Test
  void aJsonAnswerCutShortIsScannedDecoded() throws Exception {
    String[][] cases = {
      {"{\"to\":\"dave" + BS + "u0040example.com", "{\"to\":\"[REDACTED:EMAIL]"},
      {"{\"to\":\"dave" + BS + "u0040example.com\",\"body\":\"secret pl", "{\"to\":\"[REDACTED:EMAIL]\",\"body\":\"secret pl"},
    };
    for (String[] c : cases) {
      String answer = whole("\"content\":" + JSON.writeValueAsString(c[0]));
      assertRefused(ask(ProviderType.OPENAI, SealedGateway.MODEL, RedactionMode.BLOCK, json(answer), SCHEMA));
      assertEquals(c[1], message(ask(ProviderType.OPENAI, SealedGateway.MODEL, RedactionMode.WARN, json(answer), SCHEMA))
          .path("content").asText(), c[0]);
    }
  }

  @Test
  void aStreamedJsonAnswerIsCutWhereTheDecodedSecretCompletesOnAnOpenAiRoute() throws Exception {
    String split = openAiStream("{\"to\":\"da", "ve" + BS + "u00", "40exa", "mple.com\",", "\"body\":\"secret plans\"}");
    for (RedactionMode mode : List.of(RedactionMode.BLOCK, RedactionMode.WARN)) {
      assertCut(ask(ProviderType.OPENAI, SealedGateway.MODEL, mode, sse(split), "\"stream\":true," + SCHEMA));
    }
    String backslashAlone = openAiStream("{\"to\":\"dave@exampl", BS, "u0065.com\",", "\"body\":\"secret plans\"}");
    assertCut(ask(ProviderType.OPENAI, SealedGateway.MODEL, RedactionMode.BLOCK, sse(backslashAlone),
        "\"stream\":true," + JSON_OBJECT));
  }

  /**
   * No JSON asked for: the content is text, and {@code \\u0040} in it is what the caller reads, six
   * characters. Scanned as written, as before: passed whole and streamed, and sent as it was.
   */
  @Test
  void aTextAnswerWithAnEscapeInItIsText() throws Exception {
    String answer = whole("\"content\":" + JSON.writeValueAsString(ESCAPED));
    assertEquals(ESCAPED, message(ask(ProviderType.OPENAI, SealedGateway.MODEL, RedactionMode.BLOCK, json(answer), ""))
        .path("content").asText());
    assertEquals(ESCAPED, message(ask(ProviderType.OPENAI, SealedGateway.MODEL, RedactionMode.WARN, json(answer),
        "\"response_format\":{\"type\":\"text\"},")).path("content").asText());
    HttpResponse<String> passed = ask(ProviderType.OPENAI, SealedGateway.MODEL, RedactionMode.BLOCK,
        sse(openAiStream("{\"to\":\"da", "ve" + BS + "u00", "40example.com\",", "\"body\":\"secret plans\"}")),
        "\"stream\":true,");
    assertFalse(passed.body().contains("stream_truncated"), passed.body());
    assertTrue(passed.body().contains("secret plans") && passed.body().endsWith(DONE), passed.body());
  }


  /** An anthropic stream: message_start, one content block with these deltas, the end. */
  private static String anthropicStream(String model, String block, String deltaType, String field, String... deltas)
      throws Exception {
    StringBuilder s = new StringBuilder(event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\","
        + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + model + "\",\"content\":[],"
        + "\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":" + block + "}"));
    for (String d : deltas) {
      s.append(event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
          + "{\"type\":\"" + deltaType + "\",\"" + field + "\":" + JSON.writeValueAsString(d) + "}}"));
    }
    return s.append(event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"))
        .append(event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
            + "\"usage\":{\"output_tokens\":25}}"))
        .append(event("message_stop", "{\"type\":\"message_stop\"}")).toString();
  }

  /**
   * Anthropic: a JSON answer is a forced tool's input (streamed as input_json_delta, sent on as
   * content deltas) or, on a model that refuses forced tools, structured outputs' text.
   */
  @Test
  void anAnthropicJsonAnswerIsScannedDecoded() throws Exception {
    String sonnet = "claude-sonnet-4-20250514";
    String fable = "claude-fable-5-1";
    String[] deltas = {"{\"to\": \"dave", BS + "u00", "40exam", "ple.com\", ", "\"body\": \"secret plans\"}"};
    String forced = anthropicStream(sonnet, "{\"type\":\"tool_use\",\"id\":\"toolu_3\",\"name\":\"parapet_json_answer\","
        + "\"input\":{}}", "input_json_delta", "partial_json", deltas);
    String text = anthropicStream(fable, "{\"type\":\"text\",\"text\":\"\"}", "text_delta", "text", deltas);
    for (RedactionMode mode : List.of(RedactionMode.BLOCK, RedactionMode.WARN)) {
      assertCut(ask(ProviderType.ANTHROPIC, sonnet, mode, sse(forced), "\"stream\":true," + SCHEMA));
      assertCut(ask(ProviderType.ANTHROPIC, fable, mode, sse(text), "\"stream\":true," + SCHEMA));
    }
    String whole = "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + fable + "\",\"content\":["
        + "{\"type\":\"text\",\"text\":" + JSON.writeValueAsString(ESCAPED) + "}],"
        + "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":40,\"output_tokens\":10}}";
    assertRefused(ask(ProviderType.ANTHROPIC, fable, RedactionMode.BLOCK, json(whole), SCHEMA));
    String content = message(ask(ProviderType.ANTHROPIC, fable, RedactionMode.WARN, json(whole), SCHEMA))
        .path("content").asText();
    assertEquals(SCRUBBED, content);
  }
}
