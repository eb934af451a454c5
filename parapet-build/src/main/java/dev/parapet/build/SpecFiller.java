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
      Object value = questions.ask(question, "", a -> convert(Questions.nonEmpty(a), p.expected()));
      doc.set(p.path(), value);
      Optional<Problem> refused =
          SpecValidator.validate(doc).errors().stream()
              .filter(q -> q.path().equals(p.path()) && q.kind() != Problem.Kind.MISSING)
              .findFirst();
      if (refused.isEmpty()) {
        return;
      }
      questions.prompter().say("  " + SpecCheck.message(refused.get()));
    }
    throw new CommandFailure("no valid value for " + p.path() + " after " + Questions.MAX_ATTEMPTS + " attempts");
  }

  /**
   * The typed answer as the YAML type the path expects: the validator's {@code expected} hint says
   * "a whole number …", "a number …", or names/choices (strings). Booleans are spelled true/false.
   */
  static Object convert(String answer, String expected) {
    String e = expected.toLowerCase(Locale.ROOT);
    if (e.contains("whole number") || e.contains("integer")) {
      try {
        return Long.parseLong(answer);
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException(dev.parapet.core.config.Quoting.quote(answer) + " (expected: " + expected + ")");
      }
    }
    if (e.contains("number")) {
      try {
        return new BigDecimal(answer);
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException(dev.parapet.core.config.Quoting.quote(answer) + " (expected: " + expected + ")");
      }
    }
    if (e.contains("true") || e.contains("boolean")) {
      return Questions.yesNo(answer);
    }
    return answer;
  }
}
