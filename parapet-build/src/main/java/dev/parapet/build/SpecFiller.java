package dev.parapet.build;

import dev.parapet.core.config.Problem;
import dev.parapet.core.config.SpecDocument;
import dev.parapet.core.config.SpecValidator;
import java.math.BigDecimal;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Asks for each value the validator reports as {@link Problem.Kind#MISSING} and sets it in the
 * document. Filling one value can reveal others (an empty {@code users} list is reported as the
 * fields of {@code users[0]}), so it re-validates and repeats, at most {@link #MAX_ROUNDS} times.
 * Each answer is checked by the validator itself: if the value set at a path is refused, the
 * reason is shown and the question asked again.
 */
final class SpecFiller {
  static final int MAX_ROUNDS = 10;

  private final Questions questions;
  private final String shown;

  SpecFiller(Questions questions, String shown) {
    this.questions = questions;
    this.shown = shown;
  }

  /** Fills what it can; returns how many values were set. */
  int fill(SpecDocument doc) throws CommandFailure {
    int filled = 0;
    Set<String> asked = new HashSet<>();
    for (int round = 0; round < MAX_ROUNDS; round++) {
      List<Problem> missing =
          SpecValidator.validate(doc).errors().stream()
              .filter(p -> p.kind() == Problem.Kind.MISSING && !p.path().isEmpty())
              .filter(p -> !asked.contains(p.path()))
              .toList();
      if (missing.isEmpty()) {
        return filled;
      }
      if (filled == 0 && round == 0) {
        questions.prompter().say(shown + ": " + SpecCheck.count(missing.size(), "missing value") + " to fill in.");
      }
      for (Problem p : missing) {
        asked.add(p.path());
        askAndSet(doc, p);
        filled++;
      }
    }
    return filled;
  }

  private void askAndSet(SpecDocument doc, Problem p) throws CommandFailure {
    questions.prompter().say(p.path() + ": " + SpecCheck.message(p));
    String question = "  " + p.path().substring(p.path().lastIndexOf('.') + 1);
    for (int attempt = 1; attempt <= Questions.MAX_ATTEMPTS; attempt++) {
      String answer = questions.ask(question, "", a -> check(Questions.nonEmpty(a), p.expected()));
      // Numbers and booleans are read as YAML reads a plain scalar (500, true); names and
      // choices are stored as the string typed, so a user named "yes" stays a string. If the
      // validator disagrees about the type, the other reading is tried.
      boolean scalar = wantsScalar(p.expected());
      place(doc, p.path(), answer, scalar);
      Optional<Problem> refused = refusal(doc, p.path());
      if (refused.filter(q -> q.kind() == Problem.Kind.TYPE).isPresent()) {
        place(doc, p.path(), answer, !scalar);
        refused = refusal(doc, p.path());
      }
      if (refused.isEmpty()) {
        return;
      }
      questions.prompter().say("  " + SpecCheck.message(refused.get()));
    }
    throw new CommandFailure("no valid value for " + p.path() + " after " + Questions.MAX_ATTEMPTS + " attempts");
  }

  private static void place(SpecDocument doc, String path, String answer, boolean asScalar) {
    if (asScalar) {
      doc.setText(path, answer);
    } else {
      doc.set(path, answer);
    }
  }

  /** Whether the hint describes a number or a boolean rather than a name or a choice. */
  static boolean wantsScalar(String expected) {
    String e = expected.toLowerCase(Locale.ROOT);
    return e.contains("number") || e.contains("true") || e.contains("boolean") || e.matches("\\d+");
  }

  private static Optional<Problem> refusal(SpecDocument doc, String path) {
    return SpecValidator.validate(doc).errors().stream()
        .filter(q -> q.path().equals(path) && q.kind() != Problem.Kind.MISSING)
        .findFirst();
  }

  /**
   * Rejects, before it reaches the document, an answer that cannot be what {@code expected}
   * describes: the validator's hints say "a whole number …" or "a number …" for numeric fields.
   * Everything else is left to the validator.
   */
  static String check(String answer, String expected) {
    String e = expected.toLowerCase(Locale.ROOT);
    try {
      if (e.contains("whole number") || e.contains("integer")) {
        Long.parseLong(answer);
      } else if (e.startsWith("a number") || e.contains(" number ")) {
        new BigDecimal(answer);
      }
    } catch (NumberFormatException ex) {
      throw new IllegalArgumentException(
          dev.parapet.core.config.Quoting.quote(answer) + " (expected: " + expected + ")");
    }
    return answer;
  }
}
