package dev.parapet.core.redact;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.parapet.core.config.RedactionPattern;
import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A tool call's {@code arguments} (or a custom tool's {@code input}) scanned as its reader reads
 * them. The field is JSON inside a string: a caller's SDK, a model reading an earlier turn, an
 * anthropic route's translation all parse it, so its escapes (<code>&#92;u0040</code> for {@code @},
 * {@code \/}, {@code \n}) reach them decoded. A scan of the string as it stands misses
 * <code>dave&#92;u0040example.com</code>, and a key written after a line break ({@code "…\nsk-…"}: the {@code n}
 * of the escape glues to it) — so the prompt side (what the provider reads) and the answer side
 * (what the caller reads) both scan here.
 *
 * <p>Arguments that parse as one JSON value are read token by token (so a key given twice keeps
 * both values; a tree would keep the last, and the first could hide there): each string, field
 * names too, is scanned decoded, each number as its text. {@link #redact} then writes the value
 * anew in its plain form (Jackson's compact writing: only quotes, backslashes and control
 * characters escaped, and lone surrogates, which have no UTF-8), each match replaced where it
 * stands: JSON stays JSON, and a number that matched becomes the replacement string. Arguments
 * that are not one JSON value are scanned as they are, and also as {@link ArgumentsDecoder} reads
 * them: JSON cut short at {@code max_tokens} is no JSON to Jackson, yet a partial-JSON reader
 * decodes it (a match either way is scrubbed in the text as written, escapes kept). Without a backslash a string
 * reads as it stands, so the common case is one plain scan of the text.
 */
public final class ToolArguments {
  private static final JsonFactory JSON = new JsonFactory();

  private ToolArguments() {}

  /** The first pattern the reader of {@code arguments} would see, if any. */
  public static Optional<RedactionPattern> firstMatch(Redactor redactor, String arguments) {
    if (arguments.indexOf('\\') < 0) {
      return redactor.scan(arguments).first();
    }
    try (JsonParser p = JSON.createParser(arguments)) {
      if (p.nextToken() == null) {
        return firstInText(redactor, arguments);
      }
      int depth = 0;
      do {
        JsonToken t = p.currentToken();
        if (t == JsonToken.FIELD_NAME || t == JsonToken.VALUE_STRING || t.isNumeric()) {
          Optional<RedactionPattern> found = redactor.scan(p.getText()).first();
          if (found.isPresent()) {
            return found; // whatever follows, the reader sees this
          }
        }
        depth += t.isStructStart() ? 1 : t.isStructEnd() ? -1 : 0;
      } while (depth > 0 && p.nextToken() != null);
      if (p.nextToken() != null) {
        return firstInText(redactor, arguments); // more than one value: text
      }
      return Optional.empty();
    } catch (IOException e) {
      return firstInText(redactor, arguments); // not JSON: text
    }
  }

  /**
   * Text with a backslash that is not one JSON value: as it is, and as {@link ArgumentsDecoder}
   * reads it. JSON cut short (an answer stopped at its {@code max_tokens}, which a route caps) is
   * no JSON to Jackson, yet a partial-JSON reader (a streaming SDK's, a repair) decodes its strings,
   * the last one unterminated included: <code>{"to":"dave&#92;u0040example.com</code>.
   */
  private static Optional<RedactionPattern> firstInText(Redactor redactor, String text) {
    return redactor.scan(text).first().or(() -> redactor.scan(new ArgumentsDecoder().decode(text)).first());
  }

  /**
   * {@link #firstInText}'s two readings, scrubbed in the text as written: each match the text holds
   * as it is or in its decoded reading is replaced there, an escape it touches whole, and matches
   * that overlap (the same secret seen both ways) are replaced, and counted, once. So the text keeps
   * its escapes: a reader that decodes it reads what the scan read (a decoded reading sent on
   * would turn an escaped backslash's <code>&#92;&#92;u0040</code> into an escape it decodes again),
   * and a match seen only one way is scrubbed whatever the other way holds.
   */
  private static Redacted redactText(Redactor redactor, String text) {
    int[] from = new int[text.length()];
    int[] to = new int[text.length()];
    String decoded = new ArgumentsDecoder().decode(text, from, to);
    // each character of the text as written stands in the escape that holds it
    int[] unitFrom = new int[text.length()];
    int[] unitTo = new int[text.length()];
    for (int i = 0; i < text.length(); i++) {
      unitFrom[i] = i;
      unitTo[i] = i + 1;
    }
    for (int k = 0; k < decoded.length(); k++) {
      for (int i = from[k]; i < to[k]; i++) {
        unitFrom[i] = from[k];
        unitTo[i] = to[k];
      }
    }
    List<Match> spans = new ArrayList<>();
    for (Match m : redactor.matches(text)) {
      spans.add(new Match(m.pattern(), unitFrom[m.start()], unitTo[m.end() - 1]));
    }
    for (Match m : redactor.matches(decoded)) {
      spans.add(new Match(m.pattern(), from[m.start()], to[m.end() - 1]));
    }
    if (spans.isEmpty()) {
      return new Redacted(text, Map.of());
    }
    spans.sort(Comparator.comparingInt(Match::start));
    Map<RedactionPattern, Integer> counts = new EnumMap<>(RedactionPattern.class);
    StringBuilder out = new StringBuilder(text.length() + 32);
    int copied = 0;
    for (Match m : spans) {
      if (m.start() < copied) { // overlaps the one replaced last: that replacement covers it too
        if (m.end() > copied) {
          copied = m.end();
        }
        continue;
      }
      out.append(text, copied, m.start()).append("[REDACTED:").append(m.pattern().name()).append(']');
      counts.merge(m.pattern(), 1, Integer::sum);
      copied = m.end();
    }
    return new Redacted(out.append(text, copied, text.length()).toString(), counts);
  }

  /**
   * {@code arguments} with every match its reader would see replaced; the text itself (no counts)
   * when there is none, else JSON arguments in their plain form (see the class comment).
   */
  public static Redacted redact(Redactor redactor, String arguments) {
    if (arguments.indexOf('\\') < 0 && !redactor.scan(arguments).matched()) {
      return new Redacted(arguments, Map.of());
    }
    Map<RedactionPattern, Integer> counts = new EnumMap<>(RedactionPattern.class);
    StringWriter plain = new StringWriter(arguments.length() + 32);
    try (JsonParser p = JSON.createParser(arguments); JsonGenerator g = JSON.createGenerator(plain)) {
      if (p.nextToken() == null) {
        return redactText(redactor, arguments);
      }
      int depth = 0;
      do {
        JsonToken t = p.currentToken();
        if (t == JsonToken.FIELD_NAME) {
          g.writeFieldName(scrubbed(redactor, p.getText(), counts));
        } else if (t == JsonToken.VALUE_STRING) {
          g.writeString(scrubbed(redactor, p.getText(), counts));
        } else if (t.isNumeric()) {
          String digits = p.getText();
          String s = scrubbed(redactor, digits, counts);
          if (s.equals(digits)) {
            g.copyCurrentEvent(p);
          } else {
            g.writeString(s);
          }
        } else {
          g.copyCurrentEvent(p);
        }
        depth += t.isStructStart() ? 1 : t.isStructEnd() ? -1 : 0;
      } while (depth > 0 && p.nextToken() != null);
      if (p.nextToken() != null) {
        return redactText(redactor, arguments); // more than one value: text
      }
    } catch (IOException e) {
      return redactText(redactor, arguments); // not JSON: text
    }
    return counts.isEmpty() ? new Redacted(arguments, Map.of()) : new Redacted(escapeLoneSurrogates(plain), counts);
  }

  private static String scrubbed(Redactor redactor, String text, Map<RedactionPattern, Integer> counts) {
    Redacted r = redactor.redact(text);
    r.counts().forEach((p, n) -> counts.merge(p, n, Integer::sum));
    return r.text();
  }

  /**
   * Jackson writes a lone surrogate as it is, and it has no UTF-8 (the answer's writer would turn
   * it into {@code ?}): escaped instead (RFC 8259 §8.2), as the provider sent it. Outside strings
   * JSON text is ASCII, so every surrogate here stands in a string.
   */
  private static String escapeLoneSurrogates(StringWriter plain) {
    StringBuffer s = plain.getBuffer();
    StringBuilder out = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean lone = Character.isHighSurrogate(c) ? i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))
          : Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
      if (lone && out == null) {
        out = new StringBuilder(s.length() + 8).append(s, 0, i);
      }
      if (out != null) {
        if (lone) {
          out.append(String.format("\\u%04x", (int) c));
        } else {
          out.append(c);
        }
      }
    }
    return out == null ? s.toString() : out.toString();
  }
}
