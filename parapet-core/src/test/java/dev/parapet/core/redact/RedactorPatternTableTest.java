package dev.parapet.core.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.RedactionPattern;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The table of SPEC §2 shapes: what each pattern must and must not match. */
class RedactorPatternTableTest {
  static Stream<Arguments> mustMatch() {
    return Samples.MUST_MATCH.entrySet().stream()
        .flatMap(e -> e.getValue().stream().map(r -> Arguments.of(e.getKey(), r[0], r[1])));
  }

  static Stream<Arguments> mustNotMatch() {
    return Samples.MUST_NOT_MATCH.entrySet().stream()
        .flatMap(e -> e.getValue().stream().map(t -> Arguments.of(e.getKey(), t)));
  }

  @ParameterizedTest(name = "{0} matches {1}")
  @MethodSource("mustMatch")
  void matches(RedactionPattern pattern, String text, String expected) {
    List<Match> found = Redactor.forPatterns(List.of(pattern)).matches(text);
    assertEquals(1, found.size(), () -> "matches: " + found);
    Match m = found.get(0);
    assertEquals(pattern, m.pattern());
    assertEquals(expected, text.substring(m.start(), m.end()));
  }

  @ParameterizedTest(name = "{0} does not match {1}")
  @MethodSource("mustNotMatch")
  void doesNotMatch(RedactionPattern pattern, String text) {
    assertEquals(List.of(), Redactor.forPatterns(List.of(pattern)).matches(text));
  }

  @ParameterizedTest(name = "{0}: at least six each way")
  @MethodSource("patterns")
  void everyPatternHasAFullTable(RedactionPattern pattern) {
    assertTrue(Samples.MUST_MATCH.get(pattern).size() >= 6);
    assertTrue(Samples.MUST_NOT_MATCH.get(pattern).size() >= 6);
  }

  static Stream<RedactionPattern> patterns() {
    return Stream.of(RedactionPattern.values());
  }

  @ParameterizedTest(name = "{0} found by scan")
  @MethodSource("mustMatch")
  void scanCountsAndNamesTheFirstPattern(RedactionPattern pattern, String text, String expected) {
    ScanResult r = Redactor.forPatterns(List.of(pattern)).scan(text);
    assertEquals(Map.of(pattern, 1), r.counts());
    assertEquals(Optional.of(pattern), r.first());
    assertEquals(1, r.total());
  }
}
