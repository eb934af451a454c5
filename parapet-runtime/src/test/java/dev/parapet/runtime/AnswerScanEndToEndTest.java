package dev.parapet.runtime;

import static dev.parapet.runtime.ScannedAnswers.DONE;
import static dev.parapet.runtime.ScannedAnswers.chunk;
import static dev.parapet.runtime.ScannedAnswers.chunkWith;
import static dev.parapet.runtime.ScannedAnswers.finish;
import static dev.parapet.runtime.ScannedAnswers.whole;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.runtime.ScannedAnswers.Answers;
import dev.parapet.runtime.testing.LeakWatch;
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
      Answers a = answers(split, ok, ",\"n\":2");
      assertTrue(a.truncated(), field + ", an address split across one choice's deltas: " + a.cut().body());
      assertFalse(a.cut().body().contains("Done."), a.cut().body());

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
    Answers c = answers(unknown, ok, ",\"n\":2");
    assertTrue(c.truncated(), "an address split across one choice's unknown fields: " + c.cut().body());
    assertFalse(c.cut().body().contains("Done."), c.cut().body());
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
    String stream = chunk(0, "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
        + "\"type\":\"custom\",\"custom\":{\"name\":\"shell\",\"input\":\"\"}}]}")
        + chunk(0, "{\"tool_calls\":[{\"index\":0,\"custom\":{\"input\":\"mail erin@exa\"}}]}")
        + chunk(0, "{\"tool_calls\":[{\"index\":0,\"custom\":{\"input\":\"mple.com now\"}}]}")
        + chunk(0, "{\"tool_calls\":[{\"index\":0,\"custom\":{\"input\":\" -- Done.\"}}]}")
        + finish(0) + DONE;
    Answers a = answers(stream, whole("\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"custom\","
        + "\"custom\":{\"name\":\"shell\",\"input\":\"mail frank@example.com\"}},{\"id\":\"call_2\",\"type\":\"function\","
        + "\"function\":{\"name\":\"notify:gina@example.com\",\"arguments\":\"{}\"},\"x_note\":[\"cc hank@example.com\", 7]}]"), "");
    assertTrue(a.truncated(), "an address split across a custom call's input: " + a.cut().body());
    assertFalse(a.cut().body().contains("Done."), a.cut().body());
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
    Answers b = answers(name, whole("\"content\":\"fine\""), "");
    assertTrue(b.truncated(), "an address as a tool's name: " + b.cut().body());
    assertFalse(b.cut().body().contains("Done."), b.cut().body());

    // counted: no usage reported, so each route is charged the output it counted (1,000 nano-USD a token)
    String words = "echo " + "word ".repeat(300);
    String counted = chunk(0, "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,\"id\":\"call_1\","
        + "\"type\":\"custom\",\"custom\":{\"name\":\"shell\",\"input\":\"" + words + "\"}}]}")
        + finish(0) + DONE;
    String uncounted = whole("\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"custom\","
        + "\"custom\":{\"name\":\"shell\",\"input\":\"" + words + "\"}}]").replaceAll(",\"usage\":\\{[^}]*}", "");
    assertFalse(uncounted.contains("usage"), uncounted);
    Answers c = answers(counted, uncounted, "");
    assertFalse(c.truncated(), c.cut().body());
    assertTrue(c.streamCharged() > 250_000, "a streamed custom input's 300 words: " + c.streamCharged() + " nano-USD");
    assertTrue(c.wholeCharged() > 250_000, "a whole answer's custom input's 300 words: " + c.wholeCharged() + " nano-USD");
    LeakWatch.assertNoLeaks();
  }
}
