package dev.parapet.core.redact;

import dev.parapet.core.config.RedactionPattern;
import java.util.Objects;

/** Where a pattern matched: {@code [start, end)} in UTF-16 indexes of the scanned text. */
public record Match(RedactionPattern pattern, int start, int end) {
  public Match {
    Objects.requireNonNull(pattern, "pattern");
    if (start < 0 || end <= start) {
      throw new IllegalArgumentException("match [" + start + ", " + end + ") (expected: 0 <= start < end)");
    }
  }
}
