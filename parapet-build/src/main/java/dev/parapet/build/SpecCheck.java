package dev.parapet.build;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Problem;
import dev.parapet.core.config.SpecDocument;
import dev.parapet.core.config.SpecLoader;
import dev.parapet.core.config.SpecValidator;
import dev.parapet.core.config.ValidationResult;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Loading and validating a spec the same way for every command, and reporting problems in one
 * shape: {@code parapet.yaml:12:5: routes[0].policy.budget_daily_usd: required}, one per line on
 * stderr, so editors and CI annotate them. Problems are printed directly (not through {@link
 * CommandFailure}) so the {@code file:line:col} stays at the start of the line.
 */
final class SpecCheck {
  private SpecCheck() {}

  static SpecDocument load(CliContext cli, String shown) throws CommandFailure {
    Path file = cli.resolve(shown);
    if (!Files.exists(file)) {
      throw new CommandFailure(shown + ": no such file (run 'parapet-build init' to create one)");
    }
    SpecDocument doc = SpecLoader.load(file);
    return doc;
  }

  static void print(List<Problem> problems, String shown, PrintStream err) {
    problems.forEach(p -> err.println(line(p, shown)));
  }

  /**
   * One problem as a line. A value rejected at a {@code *_ref} path is hidden: the usual way to
   * get one wrong is pasting the secret itself where its name belongs, and echoing it would put
   * the secret into a terminal or a CI log.
   */
  static String line(Problem p, String shown) {
    if (!p.path().endsWith("_ref")) {
      return p.format(shown);
    }
    return new Problem(p.severity(), p.kind(), p.path(), message(p), p.line(), p.column(), p.expected()).format(shown);
  }

  /** {@link Problem#message()} with any quoted value at a {@code *_ref} path hidden (see {@link #line}). */
  static String message(Problem p) {
    if (!p.path().endsWith("_ref")) {
      return p.message();
    }
    return QUOTED.matcher(p.message()).replaceAll("(value hidden: a *_ref holds a secret's NAME, never its value)");
  }

  private static final java.util.regex.Pattern QUOTED = java.util.regex.Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"…?");

  static String summary(ValidationResult result, String shown) {
    int errors = result.errors().size();
    int warnings = result.warnings().size();
    if (errors == 0) {
      return shown + ": valid" + (warnings == 0 ? "" : " (" + count(warnings, "warning") + ")");
    }
    return shown + ": " + count(errors, "error") + ", " + count(warnings, "warning");
  }

  /**
   * Validates {@code doc}; prints warnings; on any error prints every problem and fails with the
   * summary. Returns the validated spec.
   */
  static ParapetSpec requireValid(SpecDocument doc, String shown, PrintStream err) throws CommandFailure {
    ValidationResult result = SpecValidator.validate(doc);
    if (!result.isValid() || result.spec().isEmpty()) {
      print(result.problems(), shown, err);
      throw new CommandFailure(summary(result, shown) + "; nothing built");
    }
    print(result.warnings(), shown, err);
    return result.spec().get();
  }

  /** The wizard's last check: its answers must make a spec the validator accepts. */
  static void requireValid(String yaml, String shown) throws CommandFailure {
    ValidationResult result = SpecValidator.validate(SpecLoader.parse(yaml, shown));
    if (!result.isValid()) {
      List<String> lines = new java.util.ArrayList<>();
      result.errors().forEach(p -> lines.add(line(p, shown)));
      lines.add("these answers do not make a valid spec; nothing written");
      throw new CommandFailure(lines);
    }
  }

  static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
