package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import dev.parapet.core.config.Problem.Mark;
import java.util.ArrayList;
import java.util.List;

/** Collects problems while a spec is read, so every one is reported at once. */
final class Problems {
  private final List<Problem> list = new ArrayList<>();

  void add(Problem problem) {
    list.add(problem);
  }

  void addAll(List<Problem> problems) {
    list.addAll(problems);
  }

  void error(Kind kind, String path, String message, Mark at, String expected) {
    list.add(Problem.error(kind, path, message, at, expected));
  }

  void warning(Kind kind, String path, String message, Mark at) {
    list.add(Problem.warning(kind, path, message, at));
  }

  boolean hasErrors() {
    return list.stream().anyMatch(Problem::isError);
  }

  int errorCount() {
    return (int) list.stream().filter(Problem::isError).count();
  }

  List<Problem> list() {
    return List.copyOf(list);
  }
}
