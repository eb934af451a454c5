package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import dev.parapet.core.config.Problem.Mark;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Typed reading of one YAML value, reporting a TYPE or VALUE problem instead of guessing.
 *
 * <p>YAML 1.1 resolves more than people expect: {@code off} is a boolean, {@code 010} is octal,
 * {@code 1:30} is sexagesimal. Numbers are therefore accepted only in plain decimal, and a
 * string field takes the text as written whatever YAML resolved it to (so {@code mode: off}
 * reads as "off").
 */
final class Scalars {
  private static final Pattern DECIMAL_INT = Pattern.compile("[-+]?(0|[1-9][0-9]*)");
  private static final Pattern DECIMAL_NUMBER =
      Pattern.compile("[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?");
  /** YAML 1.1 reads {@code 010} as octal 8; an operator almost certainly meant ten. Refuse both. */
  private static final Pattern LEADING_ZERO = Pattern.compile("[-+]?0[0-9].*");
  private static final Pattern NUMBER_SHAPE = Pattern.compile("[-+0-9._eE]{1,40}");

  /** Decimals above this are typos (a budget of a trillion dollars a day is not a budget). */
  static final BigDecimal MAX_DECIMAL = new BigDecimal("1000000000000");

  private static final int MAX_DECIMAL_PLACES = 12;

  private Scalars() {}

  static Optional<String> string(Node node, String path, Mark at, Problems problems, String expected) {
    if (NodeText.hasForeignTag(node)) {
      problems.quietFailure(); // TreeCheck already reported the tag
      return Optional.empty();
    }
    if (!(node instanceof ScalarNode scalar)) {
      problems.error(Kind.TYPE, path, NodeText.describe(node) + " (expected: " + expected + ")", at, expected);
      return Optional.empty();
    }
    return Optional.of(scalar.getValue());
  }

  static Optional<Boolean> bool(Node node, String path, Mark at, Problems problems) {
    String expected = "true or false";
    if (node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.BOOL)) {
      String v = scalar.getValue().toLowerCase(Locale.ROOT);
      return Optional.of(v.equals("true") || v.equals("yes") || v.equals("on"));
    }
    return typeMismatch(node, path, at, problems, expected);
  }

  static Optional<Integer> integer(
      Node node, String path, Mark at, Problems problems, int min, int max) {
    return integer(node, path, at, problems, min, max, "a whole number from " + min + " to " + max);
  }

  static Optional<Integer> integer(
      Node node, String path, Mark at, Problems problems, int min, int max, String expected) {
    if (!(node instanceof ScalarNode scalar)
        || !(scalar.getTag().equals(Tag.INT) || scalar.getTag().equals(Tag.FLOAT))) {
      return typeMismatch(node, path, at, problems, expected);
    }
    String text = scalar.getValue().replace("_", "");
    if (LEADING_ZERO.matcher(text).matches()) {
      return leadingZero(scalar, path, at, problems, expected);
    }
    BigDecimal value;
    if (DECIMAL_INT.matcher(text).matches() && text.length() <= 18) {
      value = new BigDecimal(text);
    } else if (DECIMAL_NUMBER.matcher(text).matches() && text.length() <= 40
        && parse(text).isPresent()) {
      value = parse(text).get();
      if (value.signum() != 0 && value.stripTrailingZeros().scale() > 0) {
        problems.error(Kind.TYPE, path, shown(scalar) + " is a fraction (expected: " + expected + ")", at, expected);
        return Optional.empty();
      }
    } else {
      problems.error(
          Kind.TYPE, path, shown(scalar) + " (expected: " + expected + ", in plain decimal)", at, expected);
      return Optional.empty();
    }
    if (value.compareTo(BigDecimal.valueOf(min)) < 0 || value.compareTo(BigDecimal.valueOf(max)) > 0) {
      String bound = value.compareTo(BigDecimal.valueOf(min)) < 0 ? ">= " + min : "<= " + max;
      problems.error(Kind.VALUE, path, shown(scalar) + " (expected: " + bound + ")", at, expected);
      return Optional.empty();
    }
    return Optional.of(value.intValueExact());
  }

  /** A non-negative, finite, reasonably bounded amount (USD). */
  static Optional<BigDecimal> decimal(Node node, String path, Mark at, Problems problems) {
    String expected = "a number >= 0";
    if (!(node instanceof ScalarNode scalar)
        || !(scalar.getTag().equals(Tag.INT) || scalar.getTag().equals(Tag.FLOAT))) {
      return typeMismatch(node, path, at, problems, expected);
    }
    String text = scalar.getValue().replace("_", "");
    if (LEADING_ZERO.matcher(text).matches()) {
      return leadingZero(scalar, path, at, problems, expected);
    }
    String lower = text.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".nan") || lower.endsWith(".inf")) {
      problems.error(
          Kind.VALUE, path, shown(scalar) + " is not a finite number (expected: " + expected + ")", at, expected);
      return Optional.empty();
    }
    Optional<BigDecimal> parsed =
        DECIMAL_NUMBER.matcher(text).matches() && text.length() <= 40 ? parse(text) : Optional.empty();
    if (parsed.isEmpty()) {
      problems.error(
          Kind.TYPE, path, shown(scalar) + " (expected: " + expected + ", in plain decimal)", at, expected);
      return Optional.empty();
    }
    BigDecimal value = parsed.get();
    if (value.signum() < 0) {
      problems.error(Kind.VALUE, path, shown(scalar) + " (expected: >= 0)", at, expected);
      return Optional.empty();
    }
    // precision - scale is the number of digits before the point; checked before anything
    // expands the number, since 1e999999999 is a short string but a huge plain number
    if (value.precision() - value.scale() > MAX_DECIMAL.precision()
        || value.compareTo(MAX_DECIMAL) > 0) {
      problems.error(Kind.VALUE, path, shown(scalar) + " (expected: <= " + MAX_DECIMAL.toPlainString() + ")", at, expected);
      return Optional.empty();
    }
    if (value.signum() != 0 && value.stripTrailingZeros().scale() > MAX_DECIMAL_PLACES) {
      problems.error(
          Kind.VALUE,
          path,
          shown(scalar) + " (expected: at most " + MAX_DECIMAL_PLACES + " decimal places)",
          at,
          expected);
      return Optional.empty();
    }
    return Optional.of(value.signum() == 0 ? BigDecimal.ZERO : value);
  }

  /** Exponents beyond int range do not parse; they are typos or attacks either way. */
  private static Optional<BigDecimal> parse(String text) {
    try {
      return Optional.of(new BigDecimal(text));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** A number as written when it looks like one, otherwise quoted. */
  static String shown(ScalarNode scalar) {
    String v = scalar.getValue();
    boolean numeric = scalar.getTag().equals(Tag.INT) || scalar.getTag().equals(Tag.FLOAT);
    return numeric && NUMBER_SHAPE.matcher(v).matches() ? v : Quoting.quote(v);
  }

  private static <T> Optional<T> leadingZero(
      ScalarNode scalar, String path, Mark at, Problems problems, String expected) {
    problems.error(
        Kind.TYPE,
        path,
        shown(scalar) + " has a leading zero, which YAML reads as octal (expected: " + expected + ")",
        at,
        expected);
    return Optional.empty();
  }

  private static <T> Optional<T> typeMismatch(
      Node node, String path, Mark at, Problems problems, String expected) {
    if (NodeText.hasForeignTag(node)) {
      problems.quietFailure(); // TreeCheck already reported the tag
      return Optional.empty();
    }
    problems.error(Kind.TYPE, path, NodeText.describe(node) + " (expected: " + expected + ")", at, expected);
    return Optional.empty();
  }
}
