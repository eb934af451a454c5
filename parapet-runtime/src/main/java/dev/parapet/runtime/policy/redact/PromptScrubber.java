package dev.parapet.runtime.policy.redact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.redact.Redacted;
import dev.parapet.core.redact.Redactor;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * Walks every string a caller's Chat Completions body sends upstream, in document order, once
 * each: {@link #firstMatch} for {@code block}, {@link #scrub} (in place) for {@code warn}. That is
 * the messages' texts, the {@code arguments} of earlier turns' tool calls, a tool's answer, a
 * Predicted Outputs {@code prediction}, the tool definitions and {@code response_format}'s schema,
 * {@code stop} sequences, and the caller's identifiers and tags ({@code user}, {@code
 * safety_identifier}, {@code prompt_cache_key}, {@code metadata} values) — services often put an
 * end user's e-mail in {@code user}, and a string the scan skips is a string that leaks.
 *
 * <p>Not scanned: field names (a scrubbed name could collide with a sibling and lose a value),
 * {@code model} (the route pins it), and an {@code image_url}'s URL, which is not text (base64
 * image data, or a pre-signed URL whose {@code X-Amz-Credential} carries an {@code AKIA…} id by
 * design). Audio and file parts never get here: the route stage refuses them. Strings are scrubbed
 * where they stand, so arguments that were JSON stay JSON and a schema stays a schema.
 */
final class PromptScrubber {
  private PromptScrubber() {}

  /** The pattern of the first match in document order, if any. */
  static Optional<RedactionPattern> firstMatch(Redactor redactor, ObjectNode body) {
    Walk<Optional<RedactionPattern>> walk = new Walk<>(Optional.empty()) {
      @Override
      String visit(String text) {
        result = redactor.scan(text).first();
        done = result.isPresent();
        return null;
      }
    };
    walk.over(body, null);
    return walk.result;
  }

  /** Replaces every match in place; returns the replacements per pattern (empty if none). */
  static Map<RedactionPattern, Integer> scrub(Redactor redactor, ObjectNode body) {
    Walk<Map<RedactionPattern, Integer>> walk = new Walk<>(new EnumMap<>(RedactionPattern.class)) {
      @Override
      String visit(String text) {
        Redacted r = redactor.redact(text);
        if (r.counts().isEmpty()) {
          return null;
        }
        r.counts().forEach((p, n) -> result.merge(p, n, Integer::sum));
        return r.text();
      }
    };
    walk.over(body, null);
    return walk.result;
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

    /**
     * Depth first; JSON's nesting is bounded by the parser (Jackson's default: 1,000 levels).
     * {@code field} is the name {@code node} stands under (an array's elements stand under the
     * array's name); null at the top.
     */
    final void over(JsonNode node, String field) {
      if (node instanceof ObjectNode object) {
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext() && !done; ) {
          Map.Entry<String, JsonNode> child = it.next();
          JsonNode value = child.getValue();
          if (value.isTextual()) {
            if (!skipped(field, child.getKey())) {
              String put = visit(value.textValue());
              if (put != null) {
                child.setValue(TextNode.valueOf(put)); // same key: no structural change mid-walk
              }
            }
          } else if (value.isContainerNode()) {
            over(value, child.getKey());
          }
        }
      } else if (node instanceof ArrayNode array) {
        for (int i = 0; i < array.size() && !done; i++) {
          JsonNode value = array.get(i);
          if (value.isTextual()) {
            String put = visit(value.textValue());
            if (put != null) {
              array.set(i, TextNode.valueOf(put));
            }
          } else if (value.isContainerNode()) {
            over(value, field);
          }
        }
      }
    }
  }

  /**
   * A string that is not text: the pinned model, or an image. (Audio and file parts, which cannot
   * be scanned, are refused before the scan: {@code ChatBody}.)
   */
  private static boolean skipped(String parent, String name) {
    return switch (name) {
      case "model" -> parent == null;
      case "image_url" -> true; // a bare string image_url part (some OpenAI-compatible servers)
      case "url" -> "image_url".equals(parent);
      default -> false;
    };
  }
}
