package dev.parapet.core.redact;

import dev.parapet.core.config.RedactionPattern;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What a scan found, never the matched text itself (it is the secret).
 *
 * @param counts matches per pattern; patterns with none are absent
 * @param first the pattern of the leftmost match, for {@code block} mode's 422 message
 */
public record ScanResult(Map<RedactionPattern, Integer> counts, Optional<RedactionPattern> first) {
  public static final ScanResult NONE = new ScanResult(Map.of(), Optional.empty());

  public ScanResult {
    counts = Map.copyOf(counts);
    Objects.requireNonNull(first, "first");
  }

  public boolean matched() {
    return first.isPresent();
  }

  /** Total matches, for {@code x-parapet-redactions}. */
  public int total() {
    return counts.values().stream().mapToInt(Integer::intValue).sum();
  }
}
