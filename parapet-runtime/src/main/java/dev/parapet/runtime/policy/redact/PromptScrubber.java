package dev.parapet.runtime.policy.redact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.redact.Redacted;
import dev.parapet.core.redact.Redactor;
import dev.parapet.core.redact.ToolArguments;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * Walks every string a caller's Chat Completions body sends upstream, in document order, once
 * each: {@link #firstMatch} for {@code block}, {@link #scrub} (in place) for {@code warn}. That is
 * the messages' texts, the {@code arguments} of earlier turns' tool calls, a tool's answer, a
 * Predicted Outputs {@code prediction}, the tool definitions and {@code response_format}'s schema,
 * {@code stop} sequences, and the caller's identifiers ({@code user}, {@code
 * safety_identifier}, {@code prompt_cache_key}; {@code metadata} is never sent) — services often put an
 * end user's e-mail in {@code user}, and a string the scan skips is a string that leaks.
 *
 * <p>What the provider reads is scanned, not only what the body spells:
 *
 * <ul>
 *   <li><b>Split parts.</b> A message's adjacent {@code text} parts reach the model side by side
 *       (an anthropic route joins them into one text), so a run of them is also scanned as one
 *       text: {@code "alice@"} and {@code "example.com"} match. Where the joined run matches, {@code
 *       warn} first merges the run into one part, then scrubs it.
 *   <li><b>Escaped arguments.</b> A tool call's {@code arguments} is JSON in a string; its escapes
 *       ({@code \u0040} for {@code @}) hide a match from a scan of the string, and the model, or an
 *       anthropic route's translation, reads them decoded. Arguments with a backslash that parse as
 *       JSON are scanned decoded, string by string, and {@code warn} sends them scrubbed in their
 *       plain form (Jackson's compact writing, which escapes only what JSON must): {@link
 *       ToolArguments}, which the answer side shares.
 *   <li><b>Numbers.</b> Integers below the top level (in tool schemas, examples) are
 *       scanned as their digits: a card number needs no quotes. A match turns the number into the
 *       replacement string. The body's own knobs ({@code seed}, {@code max_tokens}, …) are not: a
 *       random 19-digit {@code seed} passes the card check one time in ten.
 * </ul>
 *
 * <p>Not scanned: field names (a scrubbed name could collide with a sibling and lose a value),
 * {@code model} (the route pins it), and an image part's {@code image_url}, which is not text
 * (base64 image data, or a pre-signed URL whose {@code X-Amz-Credential} carries an {@code AKIA…}
 * id by design); a field named {@code image_url} anywhere else is scanned. Audio and file parts
 * never get here: the route stage refuses them. Strings are scrubbed where they stand, so
 * arguments that were JSON stay JSON and a schema stays a schema.
 */
final class PromptScrubber {
  private PromptScrubber() {}

  /** The pattern of the first match in document order (a split run of parts first), if any. */
  static Optional<RedactionPattern> firstMatch(Redactor redactor, ObjectNode body) {
    Optional<RedactionPattern> split = splitParts(redactor, body, false);
    if (split.isPresent()) {
      return split;
    }
    Walk<Optional<RedactionPattern>> walk = new Walk<>(Optional.empty()) {
      @Override
      String visit(String text) {
        return found(redactor.scan(text).first());
      }

      @Override
      String visitArguments(String arguments) {
        return found(ToolArguments.firstMatch(redactor, arguments));
      }

      private String found(Optional<RedactionPattern> match) {
        result = match;
        done = match.isPresent();
        return null;
      }
    };
    walk.over(body, null, null);
    return walk.result;
  }

  /** Replaces every match in place; returns the replacements per pattern (empty if none). */
  static Map<RedactionPattern, Integer> scrub(Redactor redactor, ObjectNode body) {
    splitParts(redactor, body, true);
    Walk<Map<RedactionPattern, Integer>> walk = new Walk<>(new EnumMap<>(RedactionPattern.class)) {
      @Override
      String visit(String text) {
        return scrubbed(redactor.redact(text));
      }

      @Override
      String visitArguments(String arguments) {
        return scrubbed(ToolArguments.redact(redactor, arguments));
      }

      private String scrubbed(Redacted r) {
        if (r.counts().isEmpty()) {
          return null;
        }
        r.counts().forEach((p, n) -> result.merge(p, n, Integer::sum));
        return r.text();
      }
    };
    walk.over(body, null, null);
    return walk.result;
  }

  /**
   * Scans each run of two or more adjacent {@code text} parts of a message's content as one text;
   * returns the first run's match. With {@code merge}, every run that matches becomes one part (the
   * first, holding the joined text) so that the walk after scrubs the match whole.
   */
  private static Optional<RedactionPattern> splitParts(Redactor redactor, ObjectNode body, boolean merge) {
    Optional<RedactionPattern> first = Optional.empty();
    for (JsonNode message : body.path("messages")) {
      if (!(message.get("content") instanceof ArrayNode parts)) {
        continue;
      }
      for (int start = 0; start < parts.size(); ) {
        int end = start;
        while (end < parts.size() && isTextPart(parts.get(end))) {
          end++;
        }
        if (end - start >= 2) {
          StringBuilder joined = new StringBuilder();
          for (int i = start; i < end; i++) {
            joined.append(parts.get(i).get("text").textValue());
          }
          Optional<RedactionPattern> match = redactor.scan(joined.toString()).first();
          if (match.isPresent() && !merge) {
            return match;
          }
          if (match.isPresent()) {
            first = first.isPresent() ? first : match;
            ((ObjectNode) parts.get(start)).put("text", joined.toString());
            for (int i = end - 1; i > start; i--) {
              parts.remove(i);
            }
            end = start + 1;
          }
        }
        start = Math.max(end, start + 1);
      }
    }
    return first;
  }

  private static boolean isTextPart(JsonNode part) {
    return part instanceof ObjectNode && "text".equals(part.path("type").textValue()) && part.path("text").isTextual();
  }

  /** One walk over a body's scanned strings, gathering a {@code result}. */
  private abstract static class Walk<R> {
    R result;
    /** Set by {@link #visit} to end the walk. */
    boolean done;

    Walk(R result) {
      this.result = result;
    }

    /** Sees one scanned string; returns the string to put in its place, or null to keep it. */
    abstract String visit(String text);

    /** {@link #visit} for a tool call's {@code arguments}, which its reader parses ({@link ToolArguments}). */
    abstract String visitArguments(String arguments);

    /**
     * Depth first; JSON's nesting is bounded by the parser (Jackson's default: 1,000 levels).
     * {@code field} is the name {@code node} stands under (an array's elements stand under the
     * array's name), {@code outer} the name that one stands under; null at the top.
     */
    final void over(JsonNode node, String field, String outer) {
      if (node instanceof ObjectNode object) {
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext() && !done; ) {
          Map.Entry<String, JsonNode> child = it.next();
          JsonNode value = child.getValue();
          String name = child.getKey();
          if (value.isTextual() ? !skipped(outer, field, name) : value.isIntegralNumber() && field != null) {
            String put = visitValue(value, field, name);
            if (put != null) {
              child.setValue(TextNode.valueOf(put)); // same key: no structural change mid-walk
            }
          } else if (value.isContainerNode()) {
            over(value, name, field);
          }
        }
      } else if (node instanceof ArrayNode array) {
        for (int i = 0; i < array.size() && !done; i++) {
          JsonNode value = array.get(i);
          if (value.isTextual() || value.isIntegralNumber()) {
            String put = visitValue(value, null, null);
            if (put != null) {
              array.set(i, TextNode.valueOf(put));
            }
          } else if (value.isContainerNode()) {
            over(value, field, outer);
          }
        }
      }
    }

    /** A string, an integer's digits, or a tool call's arguments as their reader reads them. */
    private String visitValue(JsonNode value, String parent, String name) {
      if (!value.isTextual()) {
        return visit(value.asText());
      }
      boolean arguments = "arguments".equals(name) && ("function".equals(parent) || "function_call".equals(parent));
      return arguments ? visitArguments(value.textValue()) : visit(value.textValue());
    }
  }

  /**
   * A string that is not text: the pinned model, or an image part's image (a message's {@code
   * content[].image_url}, a string on some OpenAI-compatible servers, or its {@code url}). (Audio
   * and file parts, which cannot be scanned, are refused before the scan: {@code ChatBody}.)
   *
   * @param outer the name {@code parent} stands under
   * @param parent the name the string's object stands under (null: the body)
   */
  private static boolean skipped(String outer, String parent, String name) {
    return switch (name) {
      case "model" -> parent == null;
      case "image_url" -> "content".equals(parent) && "messages".equals(outer);
      case "url" -> "image_url".equals(parent) && "content".equals(outer);
      default -> false;
    };
  }
}
