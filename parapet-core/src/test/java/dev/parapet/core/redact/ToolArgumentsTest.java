package dev.parapet.core.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.RedactionPattern;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Tool-call arguments are scanned as their reader reads them, whole ({@link ToolArguments}) and streamed ({@link ArgumentsDecoder}). */
class ToolArgumentsTest {
  private static final Redactor ALL = Redactor.forPatterns(EnumSet.allOf(RedactionPattern.class));
  private static final String KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz";

  @Test
  void escapesHideNoMatch() {
    String[][] cases = {
      {"{\"a\":\"Bearer abcd\\/efghijklmnopqrstu\"}", "BEARER_TOKEN", "{\"a\":\"[REDACTED:BEARER_TOKEN]\"}"},
      {"{\"a\":\"key:\\n" + KEY + "\"}", "API_KEY", "{\"a\":\"key:\\n[REDACTED:API_KEY]\"}"},
      {"{\"a\":\"x\\tAKIAIOSFODNN7EXAMPL\\u0045\"}", "API_KEY", "{\"a\":\"x\\t[REDACTED:API_KEY]\"}"},
      {"{\"dave\\u0040example.com\":[1,2]}", "EMAIL", "{\"[REDACTED:EMAIL]\":[1,2]}"},
      {"{\"n\":4111111111111111,\"s\":\"\\u00e9\"}", "CREDIT_CARD", "{\"n\":\"[REDACTED:CREDIT_CARD]\",\"s\":\"é\"}"},
      {"{\"a\":\"\\ud800 dave\\u0040example.com\"}", "EMAIL", "{\"a\":\"\\ud800 [REDACTED:EMAIL]\"}"},
    };
    for (String[] c : cases) {
      assertEquals(Optional.of(RedactionPattern.valueOf(c[1])), ToolArguments.firstMatch(ALL, c[0]), c[0]);
      assertEquals(c[2], ToolArguments.redact(ALL, c[0]).text(), c[0]);
      assertEquals(Optional.of(RedactionPattern.valueOf(c[1])), streamed(c[0], 1), c[0]);
      assertEquals(Optional.of(RedactionPattern.valueOf(c[1])), streamed(c[0], 3), c[0]);
    }
  }

  @Test
  void textThatIsNoJsonIsScannedAsItIs() {
    String text = "mail dave@example.com \\q";
    assertEquals(Optional.of(RedactionPattern.EMAIL), ToolArguments.firstMatch(ALL, text));
    assertEquals("mail [REDACTED:EMAIL] \\q", ToolArguments.redact(ALL, text).text());
    String clean = "{\"q\":\"caf\\u00e9 \\\"x\\\"\"}";
    assertEquals(new Redacted(clean, Map.of()), ToolArguments.redact(ALL, clean));
    assertTrue(ToolArguments.firstMatch(ALL, clean).isEmpty());
  }

  /** JSON cut short at max_tokens is no JSON to Jackson, yet a partial-JSON reader decodes it. */
  @Test
  void jsonCutShortIsAlsoReadDecoded() {
    String unterminated = "{\"to\":\"dave\\u0040example.com";
    assertEquals(Optional.of(RedactionPattern.EMAIL), ToolArguments.firstMatch(ALL, unterminated));
    assertEquals("{\"to\":\"[REDACTED:EMAIL]", ToolArguments.redact(ALL, unterminated).text());
    String cut = "{\"to\":\"dave\\u0040example.com\",\"body\":\"caf\\u00e9 \\\"x";
    // scrubbed as written: the escapes the reader decodes stay escapes
    assertEquals("{\"to\":\"[REDACTED:EMAIL]\",\"body\":\"caf\\u00e9 \\\"x", ToolArguments.redact(ALL, cut).text());
    // a match seen only as written, one seen only decoded: both scrubbed, escapes whole
    String each = "{\"cc\":\"ops\\u0000@example.com\",\"to\":\"dave\\u0040example.com";
    assertEquals(new Redacted("{\"cc\":\"ops[REDACTED:EMAIL]\",\"to\":\"[REDACTED:EMAIL]",
        Map.of(RedactionPattern.EMAIL, 2)), ToolArguments.redact(ALL, each));
    String odd = "{\"a\":\"\\u12G \\\\u0040x dave\\u0040example.com";
    assertEquals("{\"a\":\"\\u12G \\\\u0040x [REDACTED:EMAIL]", ToolArguments.redact(ALL, odd).text());
    // as written where decoding reveals nothing more
    String both = "mail dave@example.com \\q \"a\\u0041\"";
    assertEquals("mail [REDACTED:EMAIL] \\q \"a\\u0041\"", ToolArguments.redact(ALL, both).text());
  }

  @Test
  void theDecoderReadsLikeJacksonWhereverTheDeltasSplit() {
    String args = "{\"k\\u0041\":\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\",\"n\":[1,true,null]} \\x \"\\u12G4\"";
    String expected = "{\"kA\":\"a\"b\\c/d\n\u00e9\ud83d\ude00\",\"n\":[1,true,null]} \\x \"\\u12G4\"";
    for (int i = 0; i <= args.length(); i++) {
      for (int j = i; j <= args.length(); j++) {
        ArgumentsDecoder d = new ArgumentsDecoder();
        String out = d.decode(args.substring(0, i)) + d.decode(args.substring(i, j)) + d.decode(args.substring(j));
        assertEquals(expected, out, i + "," + j);
      }
    }
  }

  /** {@code arguments} streamed in deltas of {@code size} chars, decoded, to a scanner. */
  private static Optional<RedactionPattern> streamed(String arguments, int size) {
    ArgumentsDecoder d = new ArgumentsDecoder();
    OutputScanner s = new OutputScanner(ALL);
    for (int i = 0; i < arguments.length(); i += size) {
      Optional<RedactionPattern> m = s.feed(d.decode(arguments.substring(i, Math.min(arguments.length(), i + size))));
      if (m.isPresent()) {
        return m;
      }
    }
    return s.finish();
  }
}
