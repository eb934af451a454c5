package dev.parapet.core.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.parapet.core.config.RedactionPattern;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;

/**
 * The redactor and the streaming output scanner on arbitrary text and arbitrary pattern sets:
 *
 * <ul>
 *   <li>{@link Redactor#redact} leaves no match behind (redacting its own output finds nothing new
 *       but the markers), counts what {@link Redactor#scan} counts, and changes nothing when
 *       nothing matched;
 *   <li>{@link OutputScanner}, fed the same text cut into arbitrary deltas, reports a match
 *       whenever the whole-text scan finds one (the stream guard must never be weaker than the
 *       prompt scrubber; reporting more is allowed and documented).
 * </ul>
 *
 * <p>Seeds replay in the normal build; {@code JAZZER_FUZZ=1 ./mvnw -pl parapet-core test
 * -Dtest=RedactorFuzzTest} fuzzes.
 */
class RedactorFuzzTest {
  private static final RedactionPattern[] ALL = RedactionPattern.values();

  @FuzzTest
  void redactionAndStreamScanAgree(FuzzedDataProvider data) {
    EnumSet<RedactionPattern> enabled = EnumSet.noneOf(RedactionPattern.class);
    int mask = data.consumeInt(0, (1 << ALL.length) - 1);
    for (int i = 0; i < ALL.length; i++) {
      if ((mask & (1 << i)) != 0) {
        enabled.add(ALL[i]);
      }
    }
    Redactor redactor = Redactor.forPatterns(enabled);
    List<Integer> cuts = new ArrayList<>();
    int n = data.consumeInt(0, 16);
    for (int i = 0; i < n; i++) {
      cuts.add(data.consumeInt(1, 64));
    }
    // Shorter than the scanner's window: beyond it, matches longer than the window are out of scope.
    String text = data.consumeRemainingAsString();
    if (text.length() > OutputScanner.DEFAULT_WINDOW) {
      text = text.substring(0, OutputScanner.DEFAULT_WINDOW);
    }

    ScanResult scan = redactor.scan(text);
    Redacted redacted = redactor.redact(text);
    assertEquals(scan.counts(), redacted.counts());
    if (redacted.counts().isEmpty()) {
      assertEquals(text, redacted.text());
    } else {
      for (Match m : redactor.matches(redacted.text())) {
        // a marker may sit next to text that now forms a new match; the marker itself never hides one
        assertFalse(redacted.text().startsWith("[REDACTED:", m.start()), "a marker matched: " + m);
      }
    }

    OutputScanner scanner = new OutputScanner(redactor);
    boolean reported = false;
    int at = 0;
    for (int size : cuts) {
      if (at >= text.length()) {
        break;
      }
      int end = Math.min(text.length(), at + size);
      reported |= scanner.feed(text.substring(at, end)).isPresent();
      at = end;
    }
    reported |= scanner.feed(text.substring(at)).isPresent();
    Optional<RedactionPattern> last = scanner.finish();
    reported |= last.isPresent();
    if (scan.first().isPresent()) {
      assertTrue(reported, "whole-text scan found " + scan.first().get() + "; the stream guard saw nothing");
    }
  }
}
