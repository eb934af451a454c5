package dev.parapet.core.config;

import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/** How YAML nodes are named in messages, and which tags a spec may carry. */
final class NodeText {
  /**
   * The tags a plain spec resolves to. Anything else was written explicitly ({@code !!binary},
   * {@code !custom}) and has no meaning in a spec.
   */
  static final Set<Tag> STANDARD_TAGS =
      Set.of(Tag.STR, Tag.INT, Tag.FLOAT, Tag.BOOL, Tag.NULL, Tag.TIMESTAMP, Tag.SEQ, Tag.MAP);

  private NodeText() {}

  /** Whether the node carries a tag {@link TreeCheck} reports; readers then stay quiet about it. */
  static boolean hasForeignTag(Node node) {
    return !STANDARD_TAGS.contains(node.getTag());
  }

  /** "a list", "a mapping", "the string \"lots\"", "the number 5", "null". */
  static String describe(Node node) {
    if (node instanceof MappingNode) {
      return "a mapping";
    }
    if (node instanceof SequenceNode) {
      return "a list";
    }
    ScalarNode scalar = (ScalarNode) node;
    Tag tag = scalar.getTag();
    if (tag.equals(Tag.NULL)) {
      return "null";
    }
    if (tag.equals(Tag.INT) || tag.equals(Tag.FLOAT)) {
      return "the number " + Quoting.quote(scalar.getValue());
    }
    if (tag.equals(Tag.BOOL)) {
      return "the boolean " + Quoting.quote(scalar.getValue());
    }
    return "the string " + Quoting.quote(scalar.getValue());
  }

  /** The key of a mapping entry as text, or empty text for a non-scalar key. */
  static String keyText(Node key) {
    return key instanceof ScalarNode scalar ? scalar.getValue() : "";
  }
}
