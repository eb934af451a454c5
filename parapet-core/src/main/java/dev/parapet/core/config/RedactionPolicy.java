package dev.parapet.core.config;

import java.util.List;
import java.util.Objects;

/** {@code routes[].policy.redaction}. Patterns are kept in declaration order, without repeats. */
public record RedactionPolicy(RedactionMode mode, List<RedactionPattern> patterns, boolean scanOutput) {
  public static final RedactionPolicy OFF = new RedactionPolicy(RedactionMode.OFF, List.of(), false);

  public RedactionPolicy {
    Objects.requireNonNull(mode, "mode");
    patterns = List.copyOf(patterns.stream().distinct().toList());
  }

  /** Whether answers are scanned: {@code scan_output} with at least one pattern to scan for. */
  public boolean scansAnswers() {
    return scanOutput && !patterns.isEmpty();
  }
}
