package dev.parapet.runtime;

import static dev.parapet.runtime.ScannedAnswers.DONE;
import static dev.parapet.runtime.ScannedAnswers.chunk;
import static dev.parapet.runtime.ScannedAnswers.chunkWith;
import static dev.parapet.runtime.ScannedAnswers.finish;
import static dev.parapet.runtime.ScannedAnswers.whole;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
