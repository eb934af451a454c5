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
import dev.parapet.runtime.ScannedAnswers.Answers;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tool call's {@code arguments} is JSON in a string, and the caller's SDK parses it: an escape
 * ({@code \\u0040} for {@code @}, {@code \\/}, a letter written as {@code \\u0065}) reaches the
 * caller as its character. A differential test found that an answer's arguments were scanned as
 * written, so {@code dave\\u0040example.com} passed a {@code scan_output} route: a stream was not
 * cut, a whole answer not scrubbed (and a match next to an escape was scrubbed into invalid JSON).
 * Arguments are now scanned as their reader reads them, whole and streamed (an escape and a
 * secret split across any number of deltas), on openai-shaped and anthropic routes.
 */
class EscapedToolArgumentsEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BS = "\\";
  @TempDir Path tmp;
  private ScannedAnswers gateway;

  @BeforeEach
  void gateway() {
    gateway = new ScannedAnswers(tmp);
  }

  /** A whole answer that calls one tool with {@code arguments} (raw JSON text, as the model wrote it). */
  private static String call(String arguments) throws Exception {
    return whole("\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
        + "\"function\":{\"name\":\"send_mail\",\"arguments\":" + JSON.writeValueAsString(arguments) + "}}]");
  }

  /** A stream that calls one tool with these argument deltas, then says " Done.". */
  private static String streamed(String... deltas) throws Exception {
    StringBuilder s = new StringBuilder(chunk(0, "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,"
        + "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"send_mail\",\"arguments\":\"\"}}]}"));
    for (String d : deltas) {
      s.append(chunk(0, "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":" + JSON.writeValueAsString(d) + "}}]}"));
    }
    return s.append(chunk(0, "{\"content\":\" Done.\"}")).append(finish(0)).append(DONE).toString();
  }

  private static boolean cut(HttpResponse<String> r) {
    return r.body().contains("\"code\":\"stream_truncated\"") && !r.body().contains("Done.");
  }

  @Test
  void wholeAnswersAreScannedDecoded() throws Exception {
    String clean = chunk(0, "{\"content\":\"fine\"}") + finish(0) + DONE;
    String[][] cases = {
      // arguments as written, what the warn route sends instead
      {"{\"to\":\"dave" + BS + "u0040example.com\",\"body\":\"hi\"}", "{\"to\":\"[REDACTED:EMAIL]\",\"body\":\"hi\"}"},
      {"{\"to\":\"a" + BS + "/dave@example.com\"}", "{\"to\":\"a/[REDACTED:EMAIL]\"}"},
      {"{\"dave@exampl" + BS + "u0065.com\":1,\"n\":\"caf" + BS + "u00e9\"}", "{\"[REDACTED:EMAIL]\":1,\"n\":\"café\"}"},
      {"{\"to\":\"line" + BS + "ndave@example" + BS + "u002Ecom\"}", "{\"to\":\"line\\n[REDACTED:EMAIL]\"}"},
    };
    for (String[] c : cases) {
      String answer = call(c[0]);
      HttpResponse<String> refused = gateway.onTheBlockRoute(answer);
      assertEquals(422, refused.statusCode(), c[0] + ": " + refused.body());
      assertTrue(refused.body().contains("\"code\":\"redaction_blocked\""), refused.body());
      assertFalse(refused.body().contains("example"), refused.body());
      Answers a = gateway.get(clean, answer);
      String args = a.scrubbedMessage().path("tool_calls").path(0).path("function").path("arguments").asText();
      assertEquals(c[1], args, c[0]);
      JSON.readTree(args); // still JSON
    }
    // escapes that hide nothing: the arguments pass as they were written
    String plain = "{\"q\":\"caf" + BS + "u00e9 " + BS + "\"quoted" + BS + "\" a@b " + BS + "/x\"}";
    assertEquals(200, gateway.onTheBlockRoute(call(plain)).statusCode());
    Answers a = gateway.get(clean, call(plain));
    assertEquals(plain, a.scrubbedMessage().path("tool_calls").path(0).path("function").path("arguments").asText());
    LeakWatch.assertNoLeaks();
  }

  /**
   * Arguments that are no JSON (cut short at {@code max_tokens}) are read by a partial-JSON reader,
   * which decodes them. {@code warn} used to send either the text as written, scrubbed, or its
   * decoded reading, scrubbed, whichever held more matches: with as many matches each way the
   * escaped address went as written ({@code ops\\u0000@…} matches only as written), and a decoded
   * reading sent on turned an escaped backslash's {@code \\u0040} into an escape the reader
   * decodes again. Both readings are now scrubbed in the text as written, escapes whole.
   */
  @Test
  void argumentsThatAreNoJsonAreScrubbedForTheReaderThatDecodesThem() throws Exception {
    String clean = chunk(0, "{\"content\":\"fine\"}") + finish(0) + DONE;
    String[][] cases = {
      // a match only as written, then one only decoded
      {"{\"cc\":\"ops" + BS + "u0000@example.com\",\"to\":\"dave" + BS + "u0040example.com",
          "{\"cc\":\"ops[REDACTED:EMAIL]\",\"to\":\"[REDACTED:EMAIL]"},
      // a match only decoded, then an escaped backslash before u0040: six characters to the reader
      {"{\"a\":\"x" + BS + "u0040y.com\",\"e\":\"dave" + BS + BS + "u0040example.com",
          "{\"a\":\"[REDACTED:EMAIL]\",\"e\":\"dave" + BS + BS + "u0040example.com"},
    };
    for (String[] c : cases) {
      Answers a = gateway.get(clean, call(c[0]));
      String args = a.scrubbedMessage().path("tool_calls").path(0).path("function").path("arguments").asText();
      assertEquals(c[1], args, c[0]);
      // the reader completes the cut JSON and decodes it: no address reaches it
      JsonNode read = JSON.readTree(args + "\"}");
      read.fields().forEachRemaining(f -> assertFalse(f.getValue().asText().contains("@example.com"), args));
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void aStreamIsCutWhereTheDecodedSecretCompletes() throws Exception {
    String ok = whole("\"content\":\"fine\"");
    // the escape split inside "\\u00" | "40", the address over four deltas
    String split = streamed("{\"to\":\"da", "ve" + BS + "u00", "40exa", "mple.c", "om\"}");
    assertTrue(cut(gateway.get(split, ok).cut()), "block route, \\u00|40");
    assertTrue(cut(gateway.streamedOnTheWarnRoute(split)), "warn route: a stream is cut, not rewritten");
    // a letter of the domain escaped, its backslash alone in a delta
    String letter = streamed("{\"to\":\"dave@exampl", BS, "u0065.com\"}");
    assertTrue(cut(gateway.get(letter, ok).cut()), "an escaped letter");
    String slash = streamed("{\"to\":\"line", BS + "n", "dave@example", BS + "u002", "ecom\"}");
    assertTrue(cut(gateway.get(slash, ok).cut()), "after a line break");
    // ordinary escapes, split anywhere, cut nothing
    String plain = streamed("{\"q\":\"caf" + BS + "u00", "e9 " + BS, "\"quoted" + BS + "\" a@", "b " + BS + "/x\"}");
    HttpResponse<String> passed = gateway.get(plain, ok).cut();
    assertFalse(passed.body().contains("stream_truncated"), passed.body());
    assertTrue(passed.body().contains("Done.") && passed.body().endsWith(DONE), passed.body());
    LeakWatch.assertNoLeaks();
  }


  @Test
  void anAnthropicStreamIsCutWhereTheDecodedSecretCompletes() throws Exception {
    String model = "claude-sonnet-4-20250514";
    StringBuilder s = new StringBuilder(event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\","
        + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + model + "\",\"content\":[],"
        + "\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
        + "{\"type\":\"tool_use\",\"id\":\"toolu_3\",\"name\":\"send_mail\",\"input\":{}}}"));
    for (String partial : List.of("{\"to\": \"dave", BS + "u00", "40exam", "ple.com\", ", "\"body\": \"secret plans\"}")) {
      s.append(event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
          + "{\"type\":\"input_json_delta\",\"partial_json\":" + JSON.writeValueAsString(partial) + "}}"));
    }
    s.append(event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}"))
        .append(event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},"
            + "\"usage\":{\"output_tokens\":25}}"))
        .append(event("message_stop", "{\"type\":\"message_stop\"}"));
    for (RedactionMode mode : List.of(RedactionMode.BLOCK, RedactionMode.WARN)) {
      try (MockWebServer provider = new MockWebServer()) {
        provider.start();
        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream")
            .chunkedBody(s.toString(), 40).build());
        Route claude = new Route("claude", "prod", new ProviderSpec(ProviderType.ANTHROPIC, model,
            Optional.of("OPENAI_KEY"), Optional.of(provider.url("/v1").uri()), List.of(),
            Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
            SealedGateway.policy(6000, 200, "5", true, new RedactionPolicy(mode, List.of(RedactionPattern.EMAIL), true)));
        SealedGateway sg = new SealedGateway(tmp.resolve("data-" + mode), Optional.empty(), List.of(claude));
        try (Gateway g = sg.start()) {
          HttpResponse<String> r = post(g.port(), "/routes/claude",
              "{\"stream\":true,\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"mail the team\"}]}");
          assertEquals(200, r.statusCode(), r.body());
          assertTrue(r.body().contains("\"code\":\"stream_truncated\""), mode + ": " + r.body());
          assertFalse(r.body().contains("secret plans"), r.body());
        }
      }
    }
    LeakWatch.assertNoLeaks();
  }
}
