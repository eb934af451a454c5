package dev.parapet.build;

import dev.parapet.core.config.Quoting;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One question at a time with a default in brackets: Enter accepts it, an invalid answer is
 * re-asked with the reason, and after {@link #MAX_ATTEMPTS} bad answers the command gives up
 * (a script feeding wrong input must not loop forever).
 */
final class Questions {
  static final int MAX_ATTEMPTS = 5;

  /** Parses an answer or throws {@link IllegalArgumentException} saying what was expected. */
  @FunctionalInterface
  interface Parser<T> {
    T parse(String answer);
  }

  private final Prompter prompter;

  Questions(Prompter prompter) {
    this.prompter = prompter;
  }

  Prompter prompter() {
    return prompter;
  }

  /** Asks until {@code parser} accepts the answer (or the default, on an empty line). */
  <T> T ask(String question, String defaultAnswer, Parser<T> parser) throws CommandFailure {
    String prompt = question + (defaultAnswer.isEmpty() ? "" : " [" + defaultAnswer + "]") + ": ";
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      String answer = prompter.line(prompt).strip();
      if (answer.isEmpty()) {
        answer = defaultAnswer;
      }
      try {
        return parser.parse(answer);
      } catch (IllegalArgumentException e) {
        prompter.say("  " + e.getMessage());
      }
    }
    throw new CommandFailure(
        "no valid answer to \"" + question + "\" after " + MAX_ATTEMPTS + " attempts");
  }

  String text(String question, String defaultAnswer, Pattern shape) throws CommandFailure {
    return ask(question, defaultAnswer, a -> matching(a, shape));
  }

  // ---- parsers shared by the wizard and --fill ----

  static String matching(String answer, Pattern shape) {
    if (!shape.matcher(answer).matches()) {
      // A wrong answer to a ref-name question is often the secret itself, pasted: never echo it.
      String shown = shape == dev.parapet.core.config.Names.SECRET_REF
          ? "that is not a ref name; enter the NAME of the secret, never its value"
          : Quoting.quote(answer);
      throw new IllegalArgumentException(shown + " (expected: " + shape.pattern() + ")");
    }
    return answer;
  }

  static String nonEmpty(String answer) {
    if (answer.isBlank()) {
      throw new IllegalArgumentException("an answer is required");
    }
    return answer;
  }

  static BigDecimal usd(String answer) {
    try {
      BigDecimal v = new BigDecimal(answer);
      if (v.signum() < 0) {
        throw new IllegalArgumentException(answer + " (expected: a number >= 0)");
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(Quoting.quote(answer) + " (expected: a number >= 0, e.g. 500)");
    }
  }

  /** A USD amount, or "none" for no cap. */
  static Optional<BigDecimal> optionalUsd(String answer) {
    if (answer.equalsIgnoreCase("none") || answer.equals("-")) {
      return Optional.empty();
    }
    return Optional.of(usd(answer));
  }

  static int positiveInt(String answer) {
    try {
      int v = Integer.parseInt(answer);
      if (v < 1) {
        throw new IllegalArgumentException(answer + " (expected: an integer >= 1)");
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(Quoting.quote(answer) + " (expected: an integer >= 1)");
    }
  }

  static boolean yesNo(String answer) {
    return switch (answer.toLowerCase(Locale.ROOT)) {
      case "y", "yes", "true" -> true;
      case "n", "no", "false" -> false;
      default -> throw new IllegalArgumentException(Quoting.quote(answer) + " (expected: yes or no)");
    };
  }
}
