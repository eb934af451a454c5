package dev.parapet.runtime;

import static dev.parapet.runtime.ScannedAnswers.DONE;
import static dev.parapet.runtime.ScannedAnswers.MODEL;
import static dev.parapet.runtime.ScannedAnswers.finish;
import static dev.parapet.runtime.ScannedAnswers.whole;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.runtime.ScannedAnswers.Answers;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenAI-compatible servers running a reasoning model (vLLM, Ollama, llama.cpp, DeepSeek's API)
 * send its thinking to the caller beside the answer: {@code reasoning_content} or {@code
 * reasoning}, in each delta or in the whole message. The guard read only content, refusals and
 * tool-call arguments, so on a route that scans answers a secret in the reasoning reached the
 * caller unscanned. Now the reasoning is scanned and counted like the answer.
 */
class LocalReasoningEndToEndTest {
  @TempDir Path tmp;
  private ScannedAnswers gateway;

  @BeforeEach
  void gateway() {
    gateway = new ScannedAnswers(tmp);
  }

  private static String chunk(String delta) {
    return ScannedAnswers.chunk(0, delta);
  }

  private Answers answers(String stream, String whole) throws Exception {
    return gateway.get(stream, whole);
  }

  @Test
  void reasoningIsScannedInStreamsAndWholeAnswers() throws Exception {
    String stream = chunk("{\"role\":\"assistant\",\"content\":\"\"}")
        + chunk("{\"reasoning_content\":\"The user's manager is \"}")
        + chunk("{\"reasoning_content\":\"erin@example.com, so\"}")
        + chunk("{\"content\":\"Ask your manager.\"}")
        + finish(0) + DONE;
    Answers a = answers(stream, whole("\"reasoning\":\"Mail frank@example.com first.\",\"content\":\"Ask your manager.\""));
    assertTrue(a.cut().body().contains("\"code\":\"stream_truncated\""), a.cut().body());
    assertFalse(a.cut().body().contains("erin@example.com"), a.cut().body());
    assertEquals("Mail [REDACTED:EMAIL] first.", a.scrubbedMessage().path("reasoning").asText(), a.scrubbedMessage().toString());
    assertEquals("Ask your manager.", a.scrubbedMessage().path("content").asText());
  }

  /**
   * A server may put answer text in fields no guard knows (OpenRouter's {@code reasoning_details},
   * a field added next year). The caller receives them, so they are scanned too: the stream is cut,
   * the whole answer scrubbed where the text stands; they are not counted (they may not be billed).
   */
  @Test
  void textInFieldsNobodyReadsIsScannedToo() throws Exception {
    String stream = chunk("{\"role\":\"assistant\",\"content\":\"\"}")
        + chunk("{\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":\"write to gina@\"}]}")
        + chunk("{\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":\"example.com now\"}]}")
        + chunk("{\"content\":\"Done.\"}");
    Answers a = answers(stream, whole("\"content\":\"Done.\",\"reasoning_details\":[{\"type\":\"reasoning.text\","
        + "\"text\":\"cc hank@example.com\"}],\"notes\":[\"and ivan@example.com\", 7]"));
    assertTrue(a.cut().body().contains("\"code\":\"stream_truncated\""), "an address split across two chunks: " + a.cut().body());
    assertFalse(a.cut().body().contains("Done."), a.cut().body());
    JsonNode message = a.scrubbedMessage();
    assertEquals("cc [REDACTED:EMAIL]", message.path("reasoning_details").path(0).path("text").asText(), message.toString());
    assertEquals("and [REDACTED:EMAIL]", message.path("notes").path(0).asText(), message.toString());
    assertEquals(7, message.path("notes").path(1).asInt());
  }

  /**
   * Nor are a delta's fields the only place: a server may add its own beside the choices (a
   * debugging field) or beside a choice's delta. Every string there is scanned too; OpenAI's own
   * identifiers ({@code id}, {@code model}) are left as they are.
   */
  @Test
  void textBesideTheChoicesIsScannedToo() throws Exception {
    String beside = chunk("{\"role\":\"assistant\",\"content\":\"\"}")
        + chunk("{\"content\":\"Ask\"}").replace("{\"id\"", "{\"x_debug\":{\"trace\":\"route via kim@\"},\"id\"")
        + chunk("{\"content\":\" your manager.\"}").replace("{\"id\"", "{\"x_debug\":{\"trace\":\"example.com\"},\"id\"")
        + chunk("{\"content\":\" Done.\"}");
    String wholeAnswer = whole("\"content\":\"Ask your manager.\"").replace("\"finish_reason\"",
        "\"provider_note\":[\"cc lou@example.com\", 3],\"finish_reason\"").replace("\"usage\"",
        "\"x_debug\":{\"upstream\":\"mia@example.com via relay\"},\"usage\"");
    Answers a = answers(beside, wholeAnswer);
    assertTrue(a.cut().body().contains("\"code\":\"stream_truncated\""), "an address split across two chunks' tops: "
        + a.cut().body());
    assertFalse(a.cut().body().contains("Done."), a.cut().body());
    assertFalse(a.cut().body().contains("example.com\"}"), a.cut().body());
    JsonNode scrubbed = a.scrubbed();
    assertEquals("[REDACTED:EMAIL] via relay", scrubbed.path("x_debug").path("upstream").asText(), scrubbed.toString());
    assertEquals("cc [REDACTED:EMAIL]", scrubbed.path("choices").path(0).path("provider_note").path(0).asText());
    assertEquals(3, scrubbed.path("choices").path(0).path("provider_note").path(1).asInt());
    assertEquals("Ask your manager.", a.scrubbedMessage().path("content").asText());
    assertEquals("c2", scrubbed.path("id").asText());
    assertEquals(MODEL, scrubbed.path("model").asText());

    String choiceLevel = chunk("{\"role\":\"assistant\",\"content\":\"\"}")
        + chunk("{\"content\":\"Ask\"}").replace("\"finish_reason\":null", "\"provider_note\":\"nia@example.com\",\"finish_reason\":null")
        + chunk("{\"content\":\" Done.\"}");
    Answers b = answers(choiceLevel, wholeAnswer);
    assertTrue(b.cut().body().contains("\"code\":\"stream_truncated\""), "an address beside a delta: " + b.cut().body());
    assertFalse(b.cut().body().contains("Done."), b.cut().body());
    assertFalse(b.cut().body().contains("nia@example.com"), b.cut().body());
  }
}
