package dev.parapet.core.config;

import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Puts comments and blank lines that precede a list item back in front of its dash.
 *
 * <p>SnakeYAML's emitter writes an item's leading comments after the {@code -}, so a spec with a
 * blank line between routes comes back as {@code "  - \n    name: b"}: the same YAML, but not what
 * the operator wrote. This pass rewrites that layout, then proves it changed nothing by composing
 * both texts and comparing; if they differ in any way the emitter's text is kept.
 */
final class ItemLayout {
  /** {@code <indent>-} alone, or followed by a comment. */
  private static final Pattern ITEM_HEAD = Pattern.compile("( *)-(?: +(#.*))? *");

  private ItemLayout() {}

  static String tidy(String emitted, DumperOptions options) {
    String tidied = rewrite(emitted);
    if (tidied.equals(emitted)) {
      return emitted;
    }
    try {
      return canonical(tidied, options).equals(canonical(emitted, options)) ? tidied : emitted;
    } catch (RuntimeException e) {
      return emitted;
    }
  }

  private static String rewrite(String text) {
    String[] lines = text.split("\n", -1);
    List<String> out = new ArrayList<>(lines.length);
    for (int i = 0; i < lines.length; i++) {
      Matcher head = ITEM_HEAD.matcher(lines[i]);
      if (head.matches()) {
        String indent = head.group(1);
        String inner = indent + "  ";
        List<String> lead = new ArrayList<>();
        // no comment after the dash: the emitter put a blank line there
        lead.add(head.group(2) == null ? "" : indent + head.group(2));
        int j = i + 1;
        while (j < lines.length
            && (lines[j].isBlank() || lines[j].startsWith(inner + "#"))) {
          lead.add(lines[j].isBlank() ? "" : indent + lines[j].substring(inner.length()));
          j++;
        }
        if (j < lines.length && lines[j].length() > inner.length() && lines[j].startsWith(inner)
            && lines[j].charAt(inner.length()) != ' ') {
          out.addAll(lead);
          out.add(indent + "- " + lines[j].substring(inner.length()));
          i = j;
          continue;
        }
      }
      out.add(lines[i]);
    }
    return String.join("\n", out);
  }

  /** The document without comments, as text: equal for two texts that mean the same. */
  private static String canonical(String text, DumperOptions options) {
    LoaderOptions loading = SpecLoader.loaderOptions(false);
    loading.setCodePointLimit(Integer.MAX_VALUE); // our own output, possibly grown by set()
    Node node = new Yaml(loading).compose(new StringReader(text));
    DumperOptions plain = new DumperOptions();
    plain.setDefaultFlowStyle(options.getDefaultFlowStyle());
    StringWriter out = new StringWriter();
    new Yaml(new LoaderOptions(), plain).serialize(node, out);
    return out.toString();
  }
}
