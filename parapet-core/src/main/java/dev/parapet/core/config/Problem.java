package dev.parapet.core.config;

import java.util.Objects;

/**
 * One thing wrong (or worth a second look) in a spec, pointing at where it is.
 *
 * <p>The {@code message} does not repeat the path: {@link #format(String)} joins them as
 * {@code parapet.yaml:12:5: routes[0].policy.budget_daily_usd: -5 (expected: >= 0)}. Operator
 * values inside messages are always passed through {@link Quoting#quote} or are parsed numbers,
 * so a hostile spec cannot inject control characters into a terminal or a CI log.
 *
 * @param path where the problem is, like {@code routes[0].policy.budget_daily_usd}; {@code ""}
 *     for the whole document. For {@link Kind#MISSING} it names the absent value itself, so a
 *     filler can {@link SpecDocument#set} it directly.
 * @param line 1-based line, 0 if unknown (for an absent key: the line of its parent mapping)
 * @param column 1-based column, 0 if unknown
 * @param expected a short hint of what is wanted ("a number >= 0", "one of: warn, block, off");
 *     what {@code validate --fill} shows when it asks the operator. Empty if there is no hint.
 */
public record Problem(
    Severity severity, Kind kind, String path, String message, int line, int column, String expected) {

  /** Errors keep a spec from being built; warnings are printed and the build goes on. */
  public enum Severity {
    ERROR,
    WARNING
  }

  /** What sort of problem, so tools can treat classes of problems alike. */
  public enum Kind {
    /** Not readable as YAML (or too large, or several documents). */
    SYNTAX,
    /** The file could not be read at all. */
    IO,
    /** A required value is absent: fillable by {@code validate --fill}. */
    MISSING,
    /** A value of the wrong YAML type (a string where a number goes, a list for a map…). */
    TYPE,
    /** The right type but an unacceptable value (out of range, bad shape, unknown name). */
    VALUE,
    /** A key the spec does not define; usually a typo that would silently disable a rule. */
    UNKNOWN_KEY,
    /** The same key twice in one mapping, or the same name twice in a list. */
    DUPLICATE,
    /** A name that points at something that does not exist or must not be pointed at. */
    REFERENCE
  }

  public Problem {
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(expected, "expected");
    if (line < 0 || column < 0) {
      throw new IllegalArgumentException("line/column: " + line + ":" + column + " (expected: >= 0)");
    }
  }

  public static Problem error(Kind kind, String path, String message, Mark at, String expected) {
    return new Problem(Severity.ERROR, kind, path, message, at.line(), at.column(), expected);
  }

  public static Problem warning(Kind kind, String path, String message, Mark at) {
    return new Problem(Severity.WARNING, kind, path, message, at.line(), at.column(), "");
  }

  public boolean isError() {
    return severity == Severity.ERROR;
  }

  /** {@code parapet.yaml:12:5: routes[0].policy.budget_daily_usd: required}. */
  public String format(String sourceName) {
    return sourceName + position() + ": " + body();
  }

  /** Like {@link #format(String)} without the file name: {@code 12:5: path: message}. */
  @Override
  public String toString() {
    String position = position();
    return position.isEmpty() ? body() : position.substring(1) + ": " + body();
  }

  private String position() {
    if (line == 0) {
      return "";
    }
    return column == 0 ? ":" + line : ":" + line + ":" + column;
  }

  private String body() {
    String prefix = severity == Severity.WARNING ? "warning: " : "";
    return path.isEmpty() ? prefix + message : prefix + path + ": " + message;
  }

  /**
   * A 1-based position in the spec text; {@link #UNKNOWN} when there is none (a value set by a
   * filler, or a problem about the file as a whole).
   */
  public record Mark(int line, int column) {
    public static final Mark UNKNOWN = new Mark(0, 0);

    public static Mark of(org.yaml.snakeyaml.error.Mark yamlMark) {
      return yamlMark == null ? UNKNOWN : new Mark(yamlMark.getLine() + 1, yamlMark.getColumn() + 1);
    }
  }
}
