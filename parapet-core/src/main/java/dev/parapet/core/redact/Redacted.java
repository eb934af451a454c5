package dev.parapet.core.redact;

import dev.parapet.core.config.RedactionPattern;
import java.util.Map;
import java.util.Objects;

/**
 * Text with every match replaced by {@code [REDACTED:<PATTERN>]}.
 *
 * @param counts replacements per pattern; patterns with none are absent
 */
public record Redacted(String text, Map<RedactionPattern, Integer> counts) {
  public Redacted {
    Objects.requireNonNull(text, "text");
    counts = Map.copyOf(counts);
  }

  /** Total replacements, for {@code x-parapet-redactions}. */
  public int total() {
    return counts.values().stream().mapToInt(Integer::intValue).sum();
  }
}
