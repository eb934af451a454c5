package dev.parapet.core.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link SpecValidator#validate} found: every problem, and the spec when none is an error.
 *
 * @param spec present exactly when {@link #errors()} is empty
 * @param problems errors and warnings in the order they were found (roughly document order)
 */
public record ValidationResult(Optional<ParapetSpec> spec, List<Problem> problems) {
  public ValidationResult {
    Objects.requireNonNull(spec, "spec");
    problems = List.copyOf(problems);
    if (spec.isPresent() && problems.stream().anyMatch(Problem::isError)) {
      throw new IllegalArgumentException("spec: present (expected: absent when there are errors)");
    }
  }

  public List<Problem> errors() {
    return problems.stream().filter(Problem::isError).toList();
  }

  public List<Problem> warnings() {
    return problems.stream().filter(p -> !p.isError()).toList();
  }

  /** The errors a filler can fix by {@link SpecDocument#set}ting each one's path. */
  public List<Problem> missing() {
    return problems.stream().filter(p -> p.isError() && p.kind() == Problem.Kind.MISSING).toList();
  }

  public boolean isValid() {
    return spec.isPresent();
  }
}
