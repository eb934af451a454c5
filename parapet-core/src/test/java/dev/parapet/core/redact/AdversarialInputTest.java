package dev.parapet.core.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parapet.core.config.RedactionPattern;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * 1 MB inputs shaped to hurt a backtracking engine or a naive rescan. They must complete with the
 * right answer; how fast is a benchmark's job, not a unit test's (no timing assertions here).
 */
class AdversarialInputTest {
  static final Redactor ALL = Redactor.forPatterns(List.of(RedactionPattern.values()));
  static final int MB = 1 << 20;

  static String repeat(String unit) {
    return unit.repeat(MB / unit.length());
  }

  @ParameterizedTest(name = "1 MB of ''{0}''")
  @CsvSource(delimiter = '|', value = {
      "a@a@",
      "1234567890",
      "'-----BEGIN '",
      "eyJ.",
      "'4111 '",
      "1.2.3.",
      "'Bearer '",
      "a.",
      "1234a",
      "a1.1",
      "1.1a",
      "x2026",
      "'a1 2 3 4 5 6 7 '",
  })
  void completesWithNoMatch(String unit) {
    String text = repeat(unit);
    assertEquals(ScanResult.NONE, ALL.scan(text));
    OutputScanner s = new OutputScanner(ALL);
    for (int i = 0; i < text.length(); i += 1000) {
      assertEquals(Optional.empty(), s.feed(text.substring(i, Math.min(text.length(), i + 1000))));
    }
    assertEquals(Optional.empty(), s.finish());
  }

  @org.junit.jupiter.api.Test
  void oneMegabyteOfKeyPrefixesIsOneKeyShapedMatch() {
    // "sk-sk-sk-…" is "sk-" followed by 20+ key characters: one match over the whole text.
    String text = repeat("sk-");
    assertEquals(List.of(new Match(RedactionPattern.API_KEY, 0, text.length())), ALL.matches(text));
  }

  @ParameterizedTest(name = "1 MB of ''{0}'': every copy matches")
  @CsvSource(delimiter = '|', value = {
      "'-----BEGIN PRIVATE KEY-----'|PRIVATE_KEY",
      "'a@b.cc '|EMAIL",
      "'10.0.0.1 '|IPV4",
  })
  void completesWithEveryCopyMatched(String unit, RedactionPattern pattern) {
    String text = repeat(unit);
    assertEquals(Map.of(pattern, MB / unit.length()), ALL.scan(text).counts());
  }
}
