package dev.parapet.runtime;

import static dev.parapet.runtime.ScannedAnswers.DONE;
import static dev.parapet.runtime.ScannedAnswers.chunk;
import static dev.parapet.runtime.ScannedAnswers.chunkWith;
import static dev.parapet.runtime.ScannedAnswers.finish;
import static dev.parapet.runtime.ScannedAnswers.whole;
import static dev.parapet.runtime.ScannedAnswers.wholeChoice;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.runtime.ScannedAnswers.Answers;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Answers under {@code scan_output} in the shapes the guard used to skip: several choices
 * interleaved, and text in places an answer's known fields hold it other than as a string.
 */
class AnswerScanEndToEndTest {
  @TempDir Path tmp;
  private ScannedAnswers gateway;

  @BeforeEach
  void gateway() {
    gateway = new ScannedAnswers(tmp);
  }

  private Answers answers(String stream, String whole, String extra) throws Exception {
    return gateway.get(stream, whole, extra);
  }

  /** Asserts the stream was cut before its last text ({@code Done.}) reached the caller. */
  private static void assertCut(Answers a, String what) {
    assertTrue(a.truncated(), what + ": " + a.cut().body());
    assertFalse(a.cut().body().contains("Done."), a.cut().body());
  }

  /**
   * A stream of choice 0: its {@code first} delta, then deltas made of {@code delta} (a format of
   * one {@code %s}) with the texts {@code "mail erin@exa"}, {@code "mple.com now"}, {@code " Done."}.
   */
  private static String split(String first, String delta) {
    return chunk(0, first) + chunk(0, delta.formatted("mail erin@exa")) + chunk(0, delta.formatted("mple.com now"))
        + chunk(0, delta.formatted(" Done.")) + finish(0) + DONE;
  }

  /**
   * Asserts that with no usage reported a stream whose first delta is {@code delta} and a whole
   * answer whose message has {@code messageFields} (formats of one {@code %s}, each given 300
   * words) are each charged those words: 1,000 nano-USD a token.
   */
  private void assertCounted(String delta, String messageFields) throws Exception {
    String words = "echo " + "word ".repeat(300);
    String uncounted = whole(messageFields.formatted(words)).replaceAll(",\"usage\":\\{[^}]*}", "");
    assertFalse(uncounted.contains("usage"), uncounted);
    Answers c = answers(chunk(0, delta.formatted(words)) + finish(0) + DONE, uncounted, "");
    assertFalse(c.truncated(), c.cut().body());
    assertTrue(c.streamCharged() > 250_000, "a stream of 300 words: " + c.streamCharged() + " nano-USD");
    assertTrue(c.wholeCharged() > 250_000, "a whole answer of 300 words: " + c.wholeCharged() + " nano-USD");
  }

  /**
   * With {@code n: 2} OpenAI interleaves the two choices' deltas. One scanner for both missed an
   * address split across one choice's deltas with the other's text between the halves, and made
   * a match of the end of one choice's text and the start of the other's. Each choice's text,
   * other text (reasoning) and text in fields nobody reads is now scanned on its own.
   */
  @Test
  void eachChoiceIsScannedOnItsOwn() throws Exception {
    String ok = whole("\"content\":\"fine\"");
    String start = chunk(0, "{\"role\":\"assistant\",\"content\":\"\"}") + chunk(1, "{\"role\":\"assistant\",\"content\":\"\"}");
    for (String field : List.of("content", "reasoning_content")) {
      String split = start
          + chunk(0, "{\"" + field + "\":\"Ask dave@exa\"}")
          + chunk(1, "{\"" + field + "\":\"Ask your\"}")
          + chunk(0, "{\"" + field + "\":\"mple.com today\"}")
          + chunk(1, "{\"" + field + "\":\" manager\"}")
          + chunk(1, "{\"content\":\" Done.\"}")
          + finish(0) + finish(1) + DONE;
      assertCut(answers(split, ok, ",\"n\":2"), field + ", an address split across one choice's deltas");

      String apart = start
          + chunk(0, "{\"" + field + "\":\"Write to dave@\"}")
          + chunk(1, "{\"" + field + "\":\"example.com is a domain\"}")
          + finish(0) + finish(1) + DONE;
      Answers b = answers(apart, ok, ",\"n\":2");
      assertFalse(b.truncated(), field + ", the end of one choice and the start of the other: " + b.cut().body());
      assertTrue(b.cut().body().endsWith(DONE), b.cut().body());
    }
    String unknown = start
        + chunkWith(0, "\"delta\":{},\"provider_note\":\"dave@exa\"")
        + chunkWith(1, "\"delta\":{},\"provider_note\":\"x\"")
        + chunkWith(0, "\"delta\":{},\"provider_note\":\"mple.com\"")
        + chunk(1, "{\"content\":\"Done.\"}")
        + finish(0) + finish(1) + DONE;
    assertCut(answers(unknown, ok, ",\"n\":2"), "an address split across one choice's unknown fields");
    LeakWatch.assertNoLeaks();
  }

  /**
   * OpenAI's custom tools: a call's free-text input stands in {@code tool_calls[].custom.input},
   * which neither reading of an answer looked at. It is billed output like a function's arguments:
   * now scanned and counted. Every other string under a tool call (its name too: a model may
   * invent one) is scanned, not counted; its id, type and index are not.
   */
  @Test
  void customToolCallInputIsScannedAndCounted() throws Exception {
    String start = "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
        + "\"type\":\"custom\",\"custom\":{\"name\":\"shell\",\"input\":\"%s\"}}]}";
    String stream = split(start.formatted(""), "{\"tool_calls\":[{\"index\":0,\"custom\":{\"input\":\"%s\"}}]}");
    Answers a = answers(stream, whole("\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"custom\","
        + "\"custom\":{\"name\":\"shell\",\"input\":\"mail frank@example.com\"}},{\"id\":\"call_2\",\"type\":\"function\","
        + "\"function\":{\"name\":\"notify:gina@example.com\",\"arguments\":\"{}\"},\"x_note\":[\"cc hank@example.com\", 7]}]"), "");
    assertCut(a, "an address split across a custom call's input");
    JsonNode calls = a.scrubbedMessage().path("tool_calls");
    assertEquals("mail [REDACTED:EMAIL]", calls.path(0).path("custom").path("input").asText(), calls.toString());
    assertEquals("shell", calls.path(0).path("custom").path("name").asText());
    assertEquals("call_1", calls.path(0).path("id").asText());
    assertEquals("custom", calls.path(0).path("type").asText());
    assertEquals("notify:[REDACTED:EMAIL]", calls.path(1).path("function").path("name").asText(), calls.toString());
    assertEquals("cc [REDACTED:EMAIL]", calls.path(1).path("x_note").path(0).asText());
    assertEquals("{}", calls.path(1).path("function").path("arguments").asText());

    String name = chunk(0, "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
        + "\"type\":\"function\",\"function\":{\"name\":\"to_ivy@example.com\",\"arguments\":\"\"}}]}")
        + chunk(0, "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{}\"}}]}")
        + chunk(0, "{\"content\":\"Done.\"}") + finish(0) + DONE;
    assertCut(answers(name, whole("\"content\":\"fine\""), ""), "an address as a tool's name");

    assertCounted(start, "\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"custom\","
        + "\"custom\":{\"name\":\"shell\",\"input\":\"%s\"}}]");
    LeakWatch.assertNoLeaks();
  }

  /**
   * Mistral's Magistral (and some OpenAI-compatible servers) send {@code content} as an array of
   * parts. Both readings of an answer read content only as a string, and it is a known field, so
   * nothing scanned it. The parts' text is now output: scanned and counted (a streamed split
   * caught across parts and chunks), a whole answer's scrubbed where each string stands; a part's
   * {@code type} is left alone. A refusal or reasoning that is not a string is read the same way.
   */
  @Test
  void contentPartsAreScannedAndCounted() throws Exception {
    String parts = "{\"content\":[{\"type\":\"text\",\"text\":\"%s\"}]}";
    String stream = split("{\"role\":\"assistant\",\"content\":\"\"}", parts);
    Answers a = answers(stream, whole("\"content\":[{\"type\":\"thinking\",\"thinking\":[{\"type\":\"text\","
        + "\"text\":\"ask hank@example.com\"}]},{\"type\":\"text\",\"text\":\"mail ivy@example.com\"}],"
        + "\"reasoning\":{\"text\":\"jo@example.com\"}"), "");
    assertCut(a, "an address split across parts of two chunks");
    JsonNode content = a.scrubbedMessage().path("content");
    assertEquals("ask [REDACTED:EMAIL]", content.path(0).path("thinking").path(0).path("text").asText(), content.toString());
    assertEquals("thinking", content.path(0).path("type").asText());
    assertEquals("mail [REDACTED:EMAIL]", content.path(1).path("text").asText(), content.toString());
    assertEquals("text", content.path(1).path("type").asText());
    assertEquals("[REDACTED:EMAIL]", a.scrubbedMessage().path("reasoning").path("text").asText());

    String refusal = split("{\"role\":\"assistant\",\"content\":\"\"}",
        "{\"refusal\":[{\"type\":\"text\",\"text\":\"%s\"}]}");
    assertCut(answers(refusal, whole("\"content\":\"fine\""), ""), "an address split across a refusal's parts");

    assertCounted(parts, "\"content\":[{\"type\":\"text\",\"text\":\"%s\"}]");
    LeakWatch.assertNoLeaks();
  }

  /**
   * A whole answer's parts reach the caller's reader joined, as a stream's do: an address split
   * over two parts is one address. The block route refuses it; the warn route puts the joined
   * text, scrubbed, in the first part and empties the second (the parts and their types stay).
   */
  @Test
  void aWholeAnswersPartsAreScannedJoined() throws Exception {
    String split = whole("\"content\":[{\"type\":\"text\",\"text\":\"mail kim@exa\"},"
        + "{\"type\":\"text\",\"text\":\"mple.com now\"}]");
    HttpResponse<String> refused = gateway.onTheBlockRoute(split);
    assertEquals(422, refused.statusCode(), refused.body());
    assertTrue(refused.body().contains("redaction_blocked"), refused.body());
    JsonNode content = answers(chunk(0, "{\"content\":\"fine\"}") + finish(0) + DONE, split, "").scrubbedMessage()
        .path("content");
    assertEquals("mail [REDACTED:EMAIL] now", content.path(0).path("text").asText(), content.toString());
    assertEquals("", content.path(1).path("text").asText(), content.toString());
    assertEquals("text", content.path(1).path("type").asText());
    // parts that hold nothing together are left as they are
    String apart = whole("\"content\":[{\"type\":\"text\",\"text\":\"a@\"},{\"type\":\"text\",\"text\":\"b\"}]");
    assertEquals(200, gateway.onTheBlockRoute(apart).statusCode());
    JsonNode kept = answers(chunk(0, "{\"content\":\"fine\"}") + finish(0) + DONE, apart, "").scrubbedMessage();
    assertEquals("a@", kept.path("content").path(0).path("text").asText(), kept.toString());
    assertEquals("b", kept.path("content").path(1).path("text").asText());
  }

  /**
   * A whole answer's choice carrying a {@code delta} beside its message, as a chunk's would: the
   * known fields named {@code delta} for whole answers and chunks alike, so the whole answer's was
   * skipped, and no reading of a whole answer reads a delta. A whole answer's choice now knows only
   * its {@code message}, a chunk's only its {@code delta}: the other is a field nobody reads,
   * scanned (scrubbed where it stands) and never counted.
   */
  @Test
  void theOtherReadingsFieldIsAnUnknownField() throws Exception {
    String stream = split("{\"role\":\"assistant\",\"content\":\"\"}", "{},\"message\":{\"content\":\"%s\"}");
    Answers a = answers(stream, wholeChoice("\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
        + "\"delta\":{\"content\":\"mail ivy@example.com\",\"tool_calls\":[{\"function\":{\"arguments\":\"jo@example.com\"}}]}"), "");
    assertCut(a, "a message beside a chunk's delta");
    JsonNode choice = a.scrubbed().path("choices").path(0);
    assertEquals("mail [REDACTED:EMAIL]", choice.path("delta").path("content").asText(), choice.toString());
    assertEquals("[REDACTED:EMAIL]", choice.path("delta").path("tool_calls").path(0).path("function").path("arguments").asText());
    assertEquals("ok", a.scrubbedMessage().path("content").asText());
    LeakWatch.assertNoLeaks();
  }
}
