package dev.parapet.core.config;

import dev.parapet.core.config.SpecPath.Index;
import dev.parapet.core.config.SpecPath.Key;
import dev.parapet.core.config.SpecPath.Segment;
import java.io.StringWriter;
import java.util.List;
import java.util.Optional;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.DumperOptions.FlowStyle;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A parsed {@code parapet.yaml}, kept as a YAML node tree so {@code validate --fill --write} can
 * complete it and write it back with the operator's comments, key order and quoting intact.
 *
 * <p>Not thread-safe: one filler edits one document. A document whose text did not parse (a
 * YAML error, a non-mapping root, too large) has {@link #syntaxProblems()} and cannot be edited:
 * writing back a partial tree would destroy the operator's file. An empty file can be edited; it
 * starts as an empty mapping.
 */
public final class SpecDocument {
  private final String sourceName;
  private final List<Problem> syntaxProblems;
  private final boolean editable;
  private Optional<MappingNode> root;

  SpecDocument(String sourceName, Optional<MappingNode> root, List<Problem> syntaxProblems) {
    this(sourceName, root, syntaxProblems, true);
  }

  private SpecDocument(
      String sourceName, Optional<MappingNode> root, List<Problem> problems, boolean editable) {
    this.sourceName = sourceName;
    this.root = root;
    this.syntaxProblems = List.copyOf(problems);
    this.editable = editable;
  }

  static SpecDocument failed(String sourceName, Problem problem) {
    return new SpecDocument(sourceName, Optional.empty(), List.of(problem), false);
  }

  /** An empty spec to fill from scratch (what an empty file loads as). */
  public static SpecDocument empty(String sourceName) {
    return new SpecDocument(sourceName, Optional.empty(), List.of(), true);
  }

  public String sourceName() {
    return sourceName;
  }

  /**
   * Problems found while reading: YAML errors with line and column, size, duplicate keys,
   * disallowed tags. {@link SpecValidator#validate} repeats these, so most callers only need its
   * result.
   */
  public List<Problem> syntaxProblems() {
    return syntaxProblems;
  }

  /** Whether the document has no content at all (an empty file, nothing set yet). */
  public boolean isEmpty() {
    return root.map(r -> r.getValue().isEmpty()).orElse(true);
  }

  /** Whether {@link #set} and {@link #toYaml} may be used: the text parsed into a mapping. */
  public boolean isEditable() {
    return editable;
  }

  Optional<MappingNode> root() {
    return root;
  }

  /**
   * Sets the value at {@code path} (as in {@link Problem#path()}: {@code
   * routes[0].policy.budget_daily_usd}, {@code users[0].username}), creating the mappings and the
   * list entries on the way. A list index may name an existing entry or the next one (appending).
   * Anything in the way that is not a mapping or list where one is needed is replaced. A value
   * reached through a YAML alias ({@code *name}) is shared: setting it changes every place the
   * alias is used.
   *
   * @param value a {@code String}, {@code Boolean}, {@code Number} (not NaN/infinite), one of the
   *     config enums ({@link ProviderType}, {@link RedactionMode}, {@link RedactionPattern},
   *     {@link Role}), or a {@code List}/{@code Map<String, ?>} of those. Strings stay strings
   *     ({@code "500"} is written quoted); use {@link #setText} for what an operator typed.
   * @throws IllegalArgumentException for a malformed path, an index past the end, or a value of
   *     another type
   * @throws IllegalStateException if the document is not {@linkplain #isEditable() editable}
   */
  public void set(String path, Object value) {
    place(path, ValueNodes.of(value));
  }

  /**
   * Sets the value at {@code path} to {@code text} read the way YAML reads a plain scalar: {@code
   * 500} becomes a number, {@code true} a boolean, {@code EMAIL} a string. Never parses
   * structure: {@code [a, b]} stays the string it is.
   */
  public void setText(String path, String text) {
    place(path, ValueNodes.plain(text));
  }

  private void place(String path, Node value) {
    if (!editable) {
      throw new IllegalStateException(
          sourceName + " did not parse; fix " + syntaxProblems.get(0) + " first");
    }
    List<Segment> segments = SpecPath.parse(path);
    if (!(segments.get(0) instanceof Key)) {
      throw new IllegalArgumentException("path: " + Quoting.quote(path) + " (expected: to start with a key)");
    }
    checkIndices(segments, path);
    MappingNode top = root.orElseGet(() -> ValueNodes.mapping());
    root = Optional.of(top);
    Node current = top;
    for (int i = 0; i < segments.size(); i++) {
      boolean last = i == segments.size() - 1;
      Segment segment = segments.get(i);
      Node next = last ? value : containerFor(segments.get(i + 1));
      current = descend(current, segment, next, last, path);
    }
  }

  /**
   * Refuses an index past the end before anything changes, so a refused {@code set} leaves the
   * document as it was. Where a list will be created, only index 0 can be reached.
   */
  private void checkIndices(List<Segment> segments, String path) {
    Optional<Node> current = root.map(Node.class::cast);
    for (Segment segment : segments) {
      Optional<Node> at = current;
      if (segment instanceof Key key) {
        current =
            at.filter(MappingNode.class::isInstance)
                .flatMap(
                    n ->
                        ((MappingNode) n)
                            .getValue().stream()
                                .filter(t -> NodeText.keyText(t.getKeyNode()).equals(key.name()))
                                .findFirst()
                                .map(NodeTuple::getValueNode));
        continue;
      }
      int index = ((Index) segment).index();
      int size =
          at.filter(SequenceNode.class::isInstance).map(n -> ((SequenceNode) n).getValue().size()).orElse(0);
      if (index > size) {
        throw new IllegalArgumentException(
            "path: " + Quoting.quote(path) + ": index " + index + " (expected: <= " + size + ")");
      }
      current =
          index < size ? Optional.of(((SequenceNode) at.get()).getValue().get(index)) : Optional.empty();
    }
  }

  private static Node containerFor(Segment next) {
    return next instanceof Index ? ValueNodes.sequence() : ValueNodes.mapping();
  }

  /** Returns the child at {@code segment}, putting {@code fresh} there if needed. */
  private static Node descend(Node parent, Segment segment, Node fresh, boolean last, String path) {
    if (segment instanceof Key key) {
      MappingNode mapping = (MappingNode) parent;
      List<NodeTuple> entries = mapping.getValue();
      for (int j = 0; j < entries.size(); j++) {
        NodeTuple entry = entries.get(j);
        if (NodeText.keyText(entry.getKeyNode()).equals(key.name())) {
          Node existing = entry.getValueNode();
          if (!last && existing.getNodeId() == fresh.getNodeId()) {
            return existing;
          }
          ValueNodes.keepInlineComments(existing, fresh);
          entries.set(j, new NodeTuple(entry.getKeyNode(), fresh));
          return fresh;
        }
      }
      entries.add(KeyOrder.insertionPoint(entries, key.name()), new NodeTuple(ValueNodes.key(key.name()), fresh));
      return fresh;
    }
    int index = ((Index) segment).index();
    List<Node> items = ((SequenceNode) parent).getValue();
    if (index > items.size()) {
      throw new IllegalArgumentException(
          "path: " + Quoting.quote(path) + ": index " + index + " (expected: <= " + items.size() + ")");
    }
    if (index == items.size()) {
      items.add(fresh);
      return fresh;
    }
    Node existing = items.get(index);
    if (!last && existing.getNodeId() == fresh.getNodeId()) {
      return existing;
    }
    items.set(index, fresh);
    return fresh;
  }

  /**
   * The document as YAML text: the operator's comments, order and quoting where they were,
   * block style for what was added. Empty text for a document with nothing in it.
   *
   * @throws IllegalStateException if the document is not {@linkplain #isEditable() editable}
   */
  public String toYaml() {
    if (!editable) {
      throw new IllegalStateException(sourceName + " did not parse; there is nothing to write");
    }
    if (root.isEmpty()) {
      return "";
    }
    DumperOptions options = new DumperOptions();
    options.setProcessComments(true);
    options.setDefaultFlowStyle(FlowStyle.BLOCK);
    options.setIndent(2);
    options.setIndicatorIndent(2);
    options.setIndentWithIndicator(true);
    options.setWidth(120);
    options.setAllowUnicode(true);
    StringWriter out = new StringWriter();
    new Yaml(new LoaderOptions(), options).serialize(root.get(), out);
    return ItemLayout.tidy(out.toString(), options);
  }

  @Override
  public String toString() {
    return "SpecDocument[" + sourceName + ", " + syntaxProblems.size() + " syntax problems]";
  }

  static boolean isNull(Node node) {
    return node instanceof ScalarNode s && s.getTag().equals(Tag.NULL);
  }
}
