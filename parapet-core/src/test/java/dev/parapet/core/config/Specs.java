package dev.parapet.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.parapet.core.config.Problem.Kind;
import dev.parapet.core.config.Problem.Severity;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

/** Shared fixtures for the config tests: the reference spec and problem lookups. */
final class Specs {
  private Specs() {}

  static String validYaml() {
    try (InputStream in = Specs.class.getResourceAsStream("valid.yaml")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The reference spec with {@code from} replaced by {@code to} (which must occur once). */
  static String validWith(String from, String to) {
    String yaml = validYaml();
    int at = yaml.indexOf(from);
    if (at < 0 || yaml.indexOf(from, at + 1) >= 0) {
      throw new IllegalArgumentException("not exactly once in valid.yaml: " + from);
    }
    return yaml.replace(from, to);
  }

  static ValidationResult validate(String yaml) {
    return SpecValidator.validate(SpecLoader.parse(yaml, "parapet.yaml"));
  }

  /** The one problem at {@code path}; fails listing all problems if there is not exactly one. */
  static Problem only(ValidationResult result, String path) {
    List<Problem> at = result.problems().stream().filter(p -> p.path().equals(path)).toList();
    if (at.size() != 1) {
      fail("expected one problem at " + path + ", got:\n" + dump(result.problems()));
    }
    return at.get(0);
  }

  static Problem assertProblem(
      ValidationResult result, String path, Severity severity, Kind kind, int line, int column) {
    Problem p = only(result, path);
    assertEquals(severity, p.severity(), p::toString);
    assertEquals(kind, p.kind(), p::toString);
    assertEquals(line, p.line(), p::toString);
    assertEquals(column, p.column(), p::toString);
    return p;
  }

  static Problem assertError(ValidationResult result, String path, Kind kind, int line, int column) {
    assertTrue(result.spec().isEmpty(), "no spec when there are errors");
    return assertProblem(result, path, Severity.ERROR, kind, line, column);
  }

  static void assertValid(ValidationResult result) {
    assertTrue(result.isValid(), () -> "expected valid, got:\n" + dump(result.errors()));
  }

  static String dump(List<Problem> problems) {
    return problems.stream().map(p -> p.format("parapet.yaml") + "  [" + p.kind() + "]").collect(Collectors.joining("\n"));
  }
}
