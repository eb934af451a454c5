package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import dev.parapet.core.config.Problem.Mark;
import java.util.ArrayList;
import java.util.List;

/** Collects problems while a spec is read, so every one is reported at once. */
final class Problems {
  private final List<Problem> list = new ArrayList<>();
  private int errors;

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

  /** Counted as they come: rules compare counts before and after reading each entry. */
  int errorCount() {
    return errors;
  }

  List<Problem> list() {
    return List.copyOf(list);
  }
}
