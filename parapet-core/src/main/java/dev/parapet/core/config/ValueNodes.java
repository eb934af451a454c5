package dev.parapet.core.config;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions.FlowStyle;
import org.yaml.snakeyaml.DumperOptions.ScalarStyle;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Builds YAML nodes for values a filler sets. Each scalar carries the tag YAML would give its
 * text, so the emitter writes {@code 500} plain and the string {@code "500"} quoted.
 */
final class ValueNodes {
  private static final Resolver RESOLVER = new Resolver();

  private ValueNodes() {}

  static MappingNode mapping() {
    return new MappingNode(Tag.MAP, new ArrayList<>(), FlowStyle.BLOCK);
  }

  static SequenceNode sequence() {
    return new SequenceNode(Tag.SEQ, new ArrayList<>(), FlowStyle.BLOCK);
  }

  static ScalarNode key(String name) {
    return scalar(Tag.STR, name);
  }

  static Node of(Object value) {
    if (value instanceof String s) {
      return scalar(Tag.STR, s);
    }
    if (value instanceof Boolean b) {
      return scalar(Tag.BOOL, b.toString());
    }
    if (value instanceof Integer || value instanceof Long || value instanceof Short
        || value instanceof Byte || value instanceof BigInteger) {
      return scalar(Tag.INT, value.toString());
    }
    if (value instanceof Double || value instanceof Float) {
      double d = ((Number) value).doubleValue();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new IllegalArgumentException("value: " + d + " (expected: a finite number)");
      }
      return number(new BigDecimal(value.toString()));
    }
    if (value instanceof BigDecimal d) {
      return number(d);
    }
    if (value instanceof ProviderType t) {
      return scalar(Tag.STR, t.yamlName());
    }
    if (value instanceof RedactionMode m) {
      return scalar(Tag.STR, m.yamlName());
    }
    if (value instanceof Role r) {
      return scalar(Tag.STR, r.yamlName());
    }
    if (value instanceof RedactionPattern p) {
      return scalar(Tag.STR, p.name());
    }
    if (value instanceof List<?> list) {
      SequenceNode sequence = sequence();
      list.forEach(item -> sequence.getValue().add(of(item)));
      return sequence;
    }
    if (value instanceof Map<?, ?> map) {
      MappingNode mapping = mapping();
      map.forEach(
          (k, v) -> {
            if (!(k instanceof String name)) {
              throw new IllegalArgumentException("key: " + Quoting.quote(k) + " (expected: a string)");
            }
            mapping.getValue().add(new NodeTuple(key(name), of(v)));
          });
      return mapping;
    }
    throw new IllegalArgumentException(
        "value: "
            + (value == null ? "null" : value.getClass().getSimpleName())
            + " (expected: a string, number, boolean, list or map)");
  }

  /** A scalar as YAML would read {@code text} unquoted; anything but a number or bool is a string. */
  static Node plain(String text) {
    Tag tag = RESOLVER.resolve(NodeId.scalar, text, true);
    if (tag.equals(Tag.INT) || tag.equals(Tag.FLOAT) || tag.equals(Tag.BOOL)) {
      return scalar(tag, text);
    }
    return scalar(Tag.STR, text);
  }

  /** Written in plain decimal; the tag is whatever YAML resolves that text to (int or float). */
  private static Node number(BigDecimal d) {
    String text = d.toPlainString();
    return scalar(RESOLVER.resolve(NodeId.scalar, text, true), text);
  }

  private static ScalarNode scalar(Tag tag, String text) {
    return new ScalarNode(tag, text, null, null, ScalarStyle.PLAIN);
  }

  /** Moves a replaced value's trailing comment ({@code budget: 5 # why}) to its replacement. */
  static void keepInlineComments(Node replaced, Node replacement) {
    if (replaced.getInLineComments() != null && replacement.getInLineComments() == null
        && replacement instanceof ScalarNode) {
      replacement.setInLineComments(replaced.getInLineComments());
    }
    if (replaced.getBlockComments() != null && replacement.getBlockComments() == null) {
      replacement.setBlockComments(replaced.getBlockComments());
    }
  }
}
