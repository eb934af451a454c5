package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import dev.parapet.core.config.Problem.Mark;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Structural checks on the composed tree that hold whatever the schema says: no key twice in a
 * mapping (YAML would keep the last one silently, so a reviewer reading the first would be
 * misled), only scalar keys, no merge keys, no tags beyond plain YAML.
 */
final class TreeCheck {
  private TreeCheck() {}

  static void check(Node root, List<Problem> problems) {
    walk(root, "", problems, Collections.newSetFromMap(new IdentityHashMap<>()));
  }

  /** {@code !!java.net.URL} as written, rather than its expanded {@code tag:yaml.org,2002:} form. */
  private static String shortTag(Tag tag) {
    String value = tag.getValue();
    return value.startsWith(Tag.PREFIX) ? "!!" + value.substring(Tag.PREFIX.length()) : value;
  }

  private static void walk(Node node, String path, List<Problem> problems, Set<Node> seen) {
    // aliases point at the same node object: check it once, and never loop
    if (!seen.add(node)) {
      return;
    }
    if (!NodeText.STANDARD_TAGS.contains(node.getTag())) {
      problems.add(
          Problem.error(
              Kind.TYPE,
              path,
              "tag " + Quoting.quote(shortTag(node.getTag())) + " is not allowed (expected: plain YAML values)",
              Mark.of(node.getStartMark()),
              "a plain value without a !tag"));
    }
    if (node instanceof MappingNode mapping) {
      Map<String, Node> keys = new HashMap<>();
      for (NodeTuple entry : mapping.getValue()) {
        Node key = entry.getKeyNode();
        if (!(key instanceof ScalarNode scalar)) {
          problems.add(
              Problem.error(
                  Kind.TYPE,
                  path,
                  "a key is " + NodeText.describe(key) + " (expected: a plain name)",
                  Mark.of(key.getStartMark()),
                  "a plain name"));
          continue;
        }
        String name = scalar.getValue();
        String childPath = SpecPath.child(path, name);
        if (scalar.getTag().equals(Tag.MERGE)) {
          problems.add(
              Problem.error(
                  Kind.VALUE,
                  childPath,
                  "merge keys (<<) are not supported (expected: the keys written out)",
                  Mark.of(key.getStartMark()),
                  "the keys written out"));
          continue;
        }
        Node first = keys.putIfAbsent(name, key);
        if (first != null) {
          Mark at = Mark.of(first.getStartMark());
          problems.add(
              Problem.error(
                  Kind.DUPLICATE,
                  childPath,
                  "duplicate key " + Quoting.quote(name) + " (first at line " + at.line() + ")",
                  Mark.of(key.getStartMark()),
                  "each key once per mapping"));
        }
        walk(entry.getValueNode(), childPath, problems, seen);
      }
    } else if (node instanceof SequenceNode sequence) {
      List<Node> items = sequence.getValue();
      for (int i = 0; i < items.size(); i++) {
        walk(items.get(i), path + "[" + i + "]", problems, seen);
      }
    }
  }
}
