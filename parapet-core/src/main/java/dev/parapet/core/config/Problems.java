package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import dev.parapet.core.config.Problem.Mark;
import java.util.ArrayList;
import java.util.List;

/** Collects problems while a spec is read, so every one is reported at once. */
final class Problems {
  private final List<Problem> list = new ArrayList<>();
  private int errors;
  private int quietFailures;

  void add(Problem problem) {
    list.add(problem);
    if (problem.isError()) {
      errors++;
    }
  }

  void addAll(List<Problem> problems) {
    problems.forEach(this::add);
  }

  void error(Kind kind, String path, String message, Mark at, String expected) {
    add(Problem.error(kind, path, message, at, expected));
  }

  void warning(Kind kind, String path, String message, Mark at) {
    add(Problem.warning(kind, path, message, at));
  }

  boolean hasErrors() {
    return errors > 0;
  }

  /**
   * A value that could not be read and was already reported elsewhere (a foreign tag, by
   * TreeCheck): no second problem, but the entry must not be built from it.
   */
  void quietFailure() {
    quietFailures++;
  }

  /**
   * Errors plus quiet failures, counted as they come: rules compare this before and after
   * reading an entry to decide whether to build its record.
   */
  int failureCount() {
    return errors + quietFailures;
  }

  List<Problem> list() {
    return List.copyOf(list);
  }
}
