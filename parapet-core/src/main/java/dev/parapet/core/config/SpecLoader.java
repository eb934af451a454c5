package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import dev.parapet.core.config.Problem.Mark;
import dev.parapet.core.text.Utf8;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads {@code parapet.yaml} into a {@link SpecDocument}. Never throws for bad input: every
 * problem becomes a {@link Problem} on the document.
 *
 * <p>An empty file (or one holding only comments) loads as an empty, editable document: the
 * validator then lists every required field as MISSING, which is what {@code --fill} needs.
 *
 * <p>The spec is operator-written but may arrive through a pull request, so the loader treats it
 * as untrusted: the size is checked before any parsing, SnakeYAML only composes a node tree
 * (nothing is ever constructed from a tag, so {@code !!java...} cannot instantiate a class; such
 * a tag is reported where it is written), and
 * aliases, nesting and length are bounded so a billion-laughs document fails fast instead of
 * exhausting memory.
 */
public final class SpecLoader {
  /** Largest spec accepted, in bytes. Real specs are a few KiB. */
  public static final int MAX_BYTES = 1024 * 1024;

  /** Enough for shared policy anchors, far too few for exponential alias expansion. */
  static final int MAX_COLLECTION_ALIASES = 20;

  static final int MAX_NESTING_DEPTH = 50;

  private SpecLoader() {}

  /** Reads and parses {@code file}; the document's source name is the file name as given. */
  public static SpecDocument load(Path file) {
    String sourceName = file.toString();
    byte[] bytes;
    try {
      long size = Files.size(file);
      if (size > MAX_BYTES) {
        return SpecDocument.failed(sourceName, tooLarge(size));
      }
      bytes = readAtMost(file, MAX_BYTES + 1);
    } catch (IOException | RuntimeException e) {
      return SpecDocument.failed(
          sourceName,
          Problem.error(
              Kind.IO,
              "",
              "cannot read " + Quoting.quote(sourceName) + ": " + e.getClass().getSimpleName(),
              Mark.UNKNOWN,
              "a readable parapet.yaml"));
    }
    if (bytes.length > MAX_BYTES) {
      return SpecDocument.failed(sourceName, tooLarge(bytes.length));
    }
    try {
      String text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
      return parse(text, sourceName);
    } catch (CharacterCodingException e) {
      return SpecDocument.failed(
          sourceName,
          Problem.error(Kind.SYNTAX, "", "not valid UTF-8", Mark.UNKNOWN, "a UTF-8 text file"));
    }
  }

  /** Parses spec text; {@code sourceName} only labels problems (e.g. {@code parapet.yaml}). */
  public static SpecDocument parse(String yamlText, String sourceName) {
    // chars <= UTF-8 bytes, so a long string is refused without counting its bytes first
    if (yamlText.length() > MAX_BYTES) {
      return SpecDocument.failed(sourceName, tooLarge(Utf8.length(yamlText)));
    }
    long bytes = Utf8.length(yamlText);
    if (bytes > MAX_BYTES) {
      return SpecDocument.failed(sourceName, tooLarge(bytes));
    }
    if (!yamlText.isEmpty() && yamlText.charAt(0) == '\uFEFF') {
      yamlText = yamlText.substring(1);
    }
    try {
      return compose(yamlText, sourceName, true);
    } catch (YAMLException e) {
      // comment processing has had edge-case bugs; a document that only fails with it on
      // is still a valid spec, just without comments kept
      try {
        return compose(yamlText, sourceName, false);
      } catch (YAMLException second) {
        return SpecDocument.failed(sourceName, syntaxProblem(second));
      } catch (RuntimeException | StackOverflowError second) {
        return SpecDocument.failed(sourceName, unreadable(second));
      }
    } catch (RuntimeException | StackOverflowError e) {
      return SpecDocument.failed(sourceName, unreadable(e));
    }
  }

  private static SpecDocument compose(String text, String sourceName, boolean keepComments) {
    Iterator<Node> documents = yaml(keepComments).composeAll(new StringReader(text)).iterator();
    if (!documents.hasNext()) {
      return SpecDocument.empty(sourceName);
    }
    Node root = documents.next();
    while (documents.hasNext()) {
      Node second = documents.next();
      if (isBlank(second)) {
        continue; // a trailing "---" with nothing after it holds nothing to ignore
      }
      return SpecDocument.failed(
          sourceName,
          Problem.error(
              Kind.SYNTAX,
              "",
              "more than one YAML document (---); Parapet reads exactly one",
              Mark.of(second.getStartMark()),
              "a single document"));
    }
    if (isBlank(root)) {
      return SpecDocument.empty(sourceName);
    }
    if (!(root instanceof MappingNode mapping)) {
      return SpecDocument.failed(
          sourceName,
          Problem.error(
              Kind.TYPE,
              "",
              "the document is " + NodeText.describe(root) + " (expected: a mapping)",
              Mark.of(root.getStartMark()),
              "a mapping with version, tenants, routes, services, users"));
    }
    List<Problem> problems = new ArrayList<>();
    TreeCheck.check(mapping, problems);
    return new SpecDocument(sourceName, Optional.of(mapping), problems);
  }

  /** Null, or (with comments kept) a lone comment node: a document with nothing in it. */
  private static boolean isBlank(Node document) {
    return SpecDocument.isNull(document) || document.getTag().equals(Tag.COMMENT);
  }

  private static Yaml yaml(boolean keepComments) {
    return new Yaml(loaderOptions(keepComments));
  }

  /** The bounded, compose-only options every parse of spec text uses. */
  static LoaderOptions loaderOptions(boolean keepComments) {
    LoaderOptions options = new LoaderOptions();
    options.setProcessComments(keepComments);
    options.setMaxAliasesForCollections(MAX_COLLECTION_ALIASES);
    options.setAllowRecursiveKeys(false);
    options.setNestingDepthLimit(MAX_NESTING_DEPTH);
    options.setCodePointLimit(MAX_BYTES + 1);
    // composing does not check duplicates; TreeCheck reports them with positions instead
    options.setAllowDuplicateKeys(false);
    options.setMergeOnCompose(false);
    // Composing only records a tag; nothing here ever constructs an object from one, so every
    // tag may be composed and TreeCheck then reports each foreign one with its path, instead
    // of the first one aborting the whole parse.
    options.setTagInspector(tag -> true);
    return options;
  }

  private static Problem syntaxProblem(YAMLException e) {
    if (e instanceof MarkedYAMLException marked) {
      StringBuilder message = new StringBuilder();
      if (marked.getContext() != null) {
        message.append(marked.getContext()).append(": ");
      }
      message.append(marked.getProblem() == null ? "invalid YAML" : marked.getProblem());
      Mark at =
          Mark.of(marked.getProblemMark() != null ? marked.getProblemMark() : marked.getContextMark());
      return Problem.error(Kind.SYNTAX, "", oneLine(message.toString()), at, "valid YAML");
    }
    String message = e.getMessage() == null ? "invalid YAML" : e.getMessage();
    if (message.startsWith("Number of aliases")) {
      message =
          "too many aliases (*name) to lists or mappings (expected: at most "
              + MAX_COLLECTION_ALIASES
              + "; a spec this alias-heavy looks like a billion-laughs attack)";
    } else if (message.startsWith("Nesting Depth")) {
      message = "nested too deeply (expected: at most " + MAX_NESTING_DEPTH + " levels)";
    } else if (message.contains("code points")) {
      message = "spec too large (expected: <= " + MAX_BYTES + " bytes)";
    }
    return Problem.error(Kind.SYNTAX, "", oneLine(message), Mark.UNKNOWN, "valid YAML");
  }

  private static Problem unreadable(Throwable e) {
    return Problem.error(
        Kind.SYNTAX,
        "",
        "cannot parse: " + e.getClass().getSimpleName(),
        Mark.UNKNOWN,
        "valid YAML");
  }

  private static Problem tooLarge(long bytes) {
    return Problem.error(
        Kind.SYNTAX,
        "",
        "spec too large: " + bytes + " bytes (expected: <= " + MAX_BYTES + ")",
        Mark.UNKNOWN,
        "a spec of at most " + MAX_BYTES + " bytes");
  }

  /** SnakeYAML messages quote the offending text; keep them on one line and bounded. */
  private static String oneLine(String s) {
    String flat = s.replaceAll("[\\r\\n\\t]+", " ").strip();
    StringBuilder out = new StringBuilder();
    flat.codePoints()
        .limit(300)
        .forEach(cp -> out.appendCodePoint(Character.isISOControl(cp) ? '?' : cp));
    return out.toString();
  }

  private static byte[] readAtMost(Path file, int limit) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return in.readNBytes(limit);
    }
  }
}
