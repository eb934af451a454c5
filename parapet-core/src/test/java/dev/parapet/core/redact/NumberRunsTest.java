package dev.parapet.core.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import dev.parapet.core.config.RedactionPattern;
import java.nio.CharBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link NumberRuns} finds exactly what re2j finds with the two patterns' regexes. */
class NumberRunsTest {
  private static final RedactionPattern CARD = RedactionPattern.CREDIT_CARD;
  private static final RedactionPattern IPV4 = RedactionPattern.IPV4;
  private static final List<List<RedactionPattern>> ORDERS =
      List.of(List.of(CARD, IPV4), List.of(IPV4, CARD), List.of(CARD), List.of(IPV4));

  /** The regex reference: one group per pattern, in the order given, as Redactor builds it. */
  private static NumberRuns.Found regex(String text, int from, int limit, List<RedactionPattern> order) {
    StringBuilder alternation = new StringBuilder();
    for (RedactionPattern p : order) {
      alternation.append(alternation.length() == 0 ? "" : "|").append('(').append(Shapes.regex(p)).append(')');
    }
    Matcher m = Pattern.compile(alternation.toString()).matcher(CharBuffer.wrap(text, 0, limit));
    if (!m.find(from)) {
      return null;
    }
    for (int g = 1; g <= order.size(); g++) {
      if (m.start(g) >= 0) {
        return new NumberRuns.Found(order.get(g - 1), m.start(), m.end());
      }
    }
    throw new AssertionError("a match with no group");
  }

  private static void assertSame(String text, int from, int limit) {
    for (List<RedactionPattern> order : ORDERS) {
      assertEquals(regex(text, from, limit, order), NumberRuns.find(text, from, limit, order),
          () -> "text=[" + text + "] from=" + from + " limit=" + limit + " order=" + order);
    }
  }

  @Test
  void examplesAgreeWithTheRegex() {
    for (String text : List.of(
        "4111 1111 1111 1111", "4111-1111-1111-1111x", "10.0.0.1", "10.0.0.1a", "1.2.3.4.5",
        "1234.5678", "1234 5a", "12 3456", "a1234", "_1234 5678", "1.2", "1.2a", "v1.2.3", "1.2.3.",
        "9 4111 1111 1111 1111", "1234 10.0.0.1", "1234-", "1234 ", "123", "1.a", "1234_5",
        "2026-11-22 10:00", "Request 2.1234: hello")) {
      for (int from = 0; from <= text.length(); from++) {
        for (int limit = from; limit <= text.length(); limit++) {
          assertSame(text, from, limit);
        }
      }
    }
  }

  @Test
  void randomRunsAgreeWithTheRegex() {
    Random rnd = new Random(20261122);
    String alphabet = "0123456789012345678901234567890123456789.. --a_x@";
    for (int n = 0; n < 40_000; n++) {
      int length = rnd.nextInt(24);
      StringBuilder sb = new StringBuilder(length);
      for (int i = 0; i < length; i++) {
        sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
      }
      String text = sb.toString();
      int limit = rnd.nextInt(length + 1);
      int from = rnd.nextInt(limit + 1);
      assertSame(text, from, limit);
    }
  }

  @Test
  void nothingWithoutADigitRun() {
    assertNull(NumberRuns.find("no numbers here", 0, 15, ORDERS.get(0)));
    assertNull(NumberRuns.find("x1234", 0, 5, ORDERS.get(0)), "no \\b before the digits");
  }
}
