package dev.parapet.build;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A dotenv-style file: {@code KEY=VALUE} lines, an optional {@code export } prefix, {@code #}
 * comments, blank lines, single- or double-quoted values. There is deliberately no {@code $VAR}
 * interpolation: a secret containing {@code $} must arrive unchanged.
 *
 * <p>These files hold secrets, so a malformed line is reported by its number only, never by its
 * content — the broken line may well be a key with a stray quote.
 */
final class EnvFile {
  private static final Pattern KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private final Map<String, String> values;

  private EnvFile(Map<String, String> values) {
    this.values = Collections.unmodifiableMap(values);
  }

  Map<String, String> values() {
    return values;
  }

  /** Reads and parses {@code file}; {@code shownAs} names the file in errors. */
  static EnvFile read(Path file, String shownAs) throws CommandFailure {
    return parse(readText(file, shownAs, "KEY=value lines"), shownAs);
  }

  /**
   * The most a secrets, master-key or state file may hold: each is a handful of lines. Bounded like
   * the spec ({@code SpecLoader.MAX_BYTES}), so that a wrong path ({@code /dev/zero}, a disk
   * image) is an error naming the file, not a heap exhausted.
   */
  static final int MAX_BYTES = 1024 * 1024;

  /**
   * The whole file as UTF-8; errors name {@code shownAs}, never the content. A file that is not
   * UTF-8 (a raw binary key, say) is refused as such, with {@code expected} said.
   */
  static String readText(Path file, String shownAs, String expected) throws CommandFailure {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes(MAX_BYTES + 1);
      if (bytes.length > MAX_BYTES) {
        throw new CommandFailure(shownAs + ": too large (expected: at most " + MAX_BYTES + " bytes)");
      }
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (NoSuchFileException e) {
      throw new CommandFailure(shownAs + ": no such file");
    } catch (CharacterCodingException e) {
      throw new CommandFailure(shownAs + ": not UTF-8 text (expected: " + expected + ")");
    } catch (IOException e) {
      throw CommandFailure.io(shownAs, "read", e);
    }
  }

  /** Parses {@code text}, reporting every malformed line at once. */
  static EnvFile parse(String text, String shownAs) throws CommandFailure {
    Map<String, String> values = new LinkedHashMap<>();
    List<String> errors = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      if (i == 0 && line.startsWith("\uFEFF")) {
        line = line.substring(1);
      }
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      String problem = parseLine(trimmed, values);
      if (problem != null) {
        errors.add(shownAs + ":" + (i + 1) + ": " + problem);
      }
    }
    if (!errors.isEmpty()) {
      throw new CommandFailure(errors);
    }
    return new EnvFile(values);
  }

  /** Adds the line's entry to {@code values}; returns what is wrong with it, or null. */
  private static String parseLine(String line, Map<String, String> values) {
    if (line.startsWith("export ") || line.startsWith("export\t")) {
      line = line.substring(7).stripLeading();
    }
    int eq = line.indexOf('=');
    if (eq < 0) {
      return "malformed line (expected: KEY=VALUE)";
    }
    String key = line.substring(0, eq).strip();
    if (!KEY.matcher(key).matches()) {
      return "malformed key (expected: KEY=VALUE with KEY matching [A-Za-z_][A-Za-z0-9_]*)";
    }
    String raw = line.substring(eq + 1).strip();
    String value;
    if (raw.startsWith("'")) {
      int close = raw.indexOf('\'', 1);
      if (close < 0) {
        return "unterminated single quote (expected: a closing ')";
      }
      value = raw.substring(1, close);
      if (!onlyComment(raw.substring(close + 1))) {
        return "unexpected text after the closing quote";
      }
    } else if (raw.startsWith("\"")) {
      StringBuilder sb = new StringBuilder();
      int j = 1;
      boolean closed = false;
      for (; j < raw.length(); j++) {
        char c = raw.charAt(j);
        if (c == '\\' && j + 1 < raw.length()) {
          char n = raw.charAt(++j);
          switch (n) {
            case 'n' -> sb.append('\n');
            case 't' -> sb.append('\t');
            case '"', '\\' -> sb.append(n);
            default -> sb.append('\\').append(n);
          }
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          sb.append(c);
        }
      }
      if (!closed) {
        return "unterminated double quote (expected: a closing \")";
      }
      if (!onlyComment(raw.substring(j + 1))) {
        return "unexpected text after the closing quote";
      }
      value = sb.toString();
    } else {
      int hash = commentStart(raw);
      value = (hash < 0 ? raw : raw.substring(0, hash)).strip();
    }
    values.put(key, value);
    return null;
  }

  private static boolean onlyComment(String rest) {
    String r = rest.strip();
    return r.isEmpty() || r.startsWith("#");
  }

  /** A {@code #} starts a comment in an unquoted value only after whitespace, as in shells. */
  private static int commentStart(String raw) {
    for (int i = 1; i < raw.length(); i++) {
      if (raw.charAt(i) == '#' && Character.isWhitespace(raw.charAt(i - 1))) {
        return i;
      }
    }
    return -1;
  }
}
