package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import dev.parapet.core.config.Problem.Mark;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One mapping of the spec being read ({@code routes[0].policy}, …), with its path and position,
 * so each rule reads a field in one line and every problem knows where it is.
 *
 * <p>An absent section (the operator left out {@code policy:}) reads as empty, so each required
 * field inside reports MISSING at its own path ({@code routes[0].policy.max_tokens_in}): that is
 * what a filler can {@code set}. A section of the wrong type ({@code provider: openai}) reports
 * one TYPE problem and then stays quiet, since its fields cannot be meaningfully missing.
 */
final class Section {
  private final String path;
  private final Mark mark;
  private final Problems problems;
  private final Map<String, NodeTuple> entries = new LinkedHashMap<>();
  private final boolean broken;

  private Section(String path, Mark mark, Problems problems, Optional<MappingNode> node, boolean broken) {
    this.path = path;
    this.mark = mark;
    this.problems = problems;
    this.broken = broken;
    // first occurrence wins; TreeCheck reported any repeat
    node.ifPresent(m -> m.getValue().forEach(t -> entries.putIfAbsent(NodeText.keyText(t.getKeyNode()), t)));
  }

  static Section root(MappingNode node, Problems problems) {
    return new Section("", Mark.of(node.getStartMark()), problems, Optional.of(node), false);
  }

  /** A stand-in for an absent list item ({@code users[0]} of an empty {@code users}). */
  static Section absent(String path, Mark mark, Problems problems) {
    return new Section(path, mark, problems, Optional.empty(), false);
  }

  /** Reads {@code node} (an item of a list) as a mapping. */
  static Section of(Node node, String path, Problems problems, String expected) {
    Mark at = Mark.of(node.getStartMark());
    if (node instanceof MappingNode mapping) {
      return new Section(path, at, problems, Optional.of(mapping), false);
    }
    if (SpecDocument.isNull(node)) {
      return new Section(path, at, problems, Optional.empty(), false);
    }
    if (NodeText.hasForeignTag(node)) {
      return new Section(path, at, problems, Optional.empty(), true);
    }
    problems.error(Kind.TYPE, path, NodeText.describe(node) + " (expected: " + expected + ")", at, expected);
    return new Section(path, at, problems, Optional.empty(), true);
  }

  String path() {
    return path;
  }

  Mark mark() {
    return mark;
  }

  String path(String key) {
    return SpecPath.child(path, key);
  }

  /** The value's position if the key is written, else this mapping's. */
  Mark mark(String key) {
    NodeTuple entry = entries.get(key);
    if (entry == null) {
      return mark;
    }
    // an empty value ({@code name:}) has no text of its own: point at its key
    Node at = SpecDocument.isNull(entry.getValueNode()) ? entry.getKeyNode() : entry.getValueNode();
    return Mark.of(at.getStartMark());
  }

  Problems problems() {
    return problems;
  }

  /** Whether the key is present with a non-null value. */
  boolean has(String key) {
    return value(key).isPresent();
  }

  /** Whether the key is written at all, even as {@code key:} with no value. */
  boolean written(String key) {
    return entries.containsKey(key);
  }

  Optional<Node> value(String key) {
    NodeTuple entry = entries.get(key);
    if (entry == null || SpecDocument.isNull(entry.getValueNode())) {
      return Optional.empty();
    }
    return Optional.of(entry.getValueNode());
  }

  /** Reports every key not in {@code known}, suggesting the nearest known one. */
  void allowOnly(List<String> known) {
    Set<String> knownSet = Set.copyOf(known);
    for (NodeTuple entry : entries.values()) {
      Node key = entry.getKeyNode();
      String name = NodeText.keyText(key);
      // non-scalar and merge keys are reported by TreeCheck
      if (!(key instanceof ScalarNode) || key.getTag().equals(Tag.MERGE) || knownSet.contains(name)) {
        continue;
      }
      String expected = "one of: " + String.join(", ", known);
      problems.error(
          Kind.UNKNOWN_KEY,
          path(name),
          "unknown key " + Quoting.quote(name) + Suggestions.didYouMean(name, known)
              + " (expected: " + expected + ")",
          Mark.of(key.getStartMark()),
          expected);
    }
  }

  /** Reports MISSING at {@code key} unless this section is already reported as broken. */
  void missing(String key, String expected) {
    missing(key, expected, "required");
  }

  void missing(String key, String expected, String message) {
    if (!broken) {
      problems.error(Kind.MISSING, path(key), message + " (expected: " + expected + ")", mark(key), expected);
    }
  }

  Optional<String> string(String key, boolean required, String expected) {
    Optional<Node> node = value(key);
    if (node.isEmpty()) {
      if (required) {
        missing(key, expected);
      }
      return Optional.empty();
    }
    return Scalars.string(node.get(), path(key), mark(key), problems, expected);
  }

  Optional<Integer> integer(String key, boolean required, int min, int max) {
    Optional<Node> node = value(key);
    if (node.isEmpty()) {
      if (required) {
        missing(key, "a whole number from " + min + " to " + max);
      }
      return Optional.empty();
    }
    return Scalars.integer(node.get(), path(key), mark(key), problems, min, max);
  }

  Optional<BigDecimal> decimal(String key, boolean required) {
    Optional<Node> node = value(key);
    if (node.isEmpty()) {
      if (required) {
        missing(key, "a number >= 0");
      }
      return Optional.empty();
    }
    return Scalars.decimal(node.get(), path(key), mark(key), problems);
  }

  Optional<Boolean> bool(String key) {
    return value(key).flatMap(n -> Scalars.bool(n, path(key), mark(key), problems));
  }

  /** A string that must match {@code pattern} (a name, a secret ref), with its position. */
  Optional<Named> name(String key, boolean required, Pattern pattern, String expected) {
    Optional<String> text = string(key, required, expected);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    if (!pattern.matcher(text.get()).matches()) {
      problems.error(
          Kind.VALUE, path(key), Quoting.quote(text.get()) + " (expected: " + expected + ")", mark(key), expected);
      return Optional.empty();
    }
    return Optional.of(new Named(text.get(), path(key), mark(key)));
  }

  /**
   * A {@code *_ref}: the name of a secret, never the secret. The usual mistake is pasting the
   * secret itself, so a value that is not a ref name is never repeated in the message (problems
   * end up in terminals and CI logs).
   */
  Optional<Named> secretRef(String key, boolean required) {
    String hint = Named.SECRET_REF_HINT;
    Optional<Node> node = value(key);
    if (node.isEmpty()) {
      if (required) {
        missing(key, hint);
      }
      return Optional.empty();
    }
    if (NodeText.hasForeignTag(node.get())) {
      problems.quietFailure();
      return Optional.empty();
    }
    if (node.get() instanceof ScalarNode scalar && Names.SECRET_REF.matcher(scalar.getValue()).matches()) {
      return Optional.of(new Named(scalar.getValue(), path(key), mark(key)));
    }
    Kind kind = node.get() instanceof ScalarNode ? Kind.VALUE : Kind.TYPE;
    problems.error(
        kind,
        path(key),
        "not a secret reference name; the value is not shown, as it may be the secret itself (expected: "
            + hint + ")",
        mark(key),
        hint);
    return Optional.empty();
  }

  /**
   * Builds a config record once this section read cleanly ({@code errorsBefore} = the error
   * count when reading started). The records validate again in their constructors; should one
   * disagree with the rules here, that is reported, never thrown.
   */
  <T> Optional<T> build(int errorsBefore, Supplier<T> builder) {
    if (broken || problems.failureCount() != errorsBefore) {
      return Optional.empty();
    }
    try {
      return Optional.of(builder.get());
    } catch (RuntimeException e) {
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      problems.error(Kind.VALUE, path, "rejected: " + why, mark, "a valid entry");
      return Optional.empty();
    }
  }

  /** The nested mapping at {@code key}; absent reads as an empty section (see class doc). */
  Section section(String key, String expected) {
    Optional<Node> node = value(key);
    if (node.isEmpty()) {
      return new Section(path(key), mark(key), problems, Optional.empty(), broken);
    }
    return of(node.get(), path(key), problems, expected);
  }

  /** The items of the list at {@code key}: empty if absent, or (reported) not a list. */
  List<Node> list(String key, String expected) {
    Optional<Node> node = value(key);
    if (node.isEmpty()) {
      return List.of();
    }
    if (node.get() instanceof SequenceNode sequence) {
      return sequence.getValue();
    }
    if (NodeText.hasForeignTag(node.get())) {
      problems.quietFailure();
      return List.of();
    }
    problems.error(
        Kind.TYPE, path(key), NodeText.describe(node.get()) + " (expected: " + expected + ")", mark(key), expected);
    return List.of();
  }

  /** Whether {@code key} holds something other than a list (already reported by {@link #list}). */
  boolean holdsNonList(String key) {
    return value(key).map(n -> !(n instanceof SequenceNode)).orElse(false);
  }
}
