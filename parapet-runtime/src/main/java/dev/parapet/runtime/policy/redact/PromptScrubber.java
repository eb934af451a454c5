package dev.parapet.runtime.policy.redact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.redact.Redacted;
import dev.parapet.core.redact.Redactor;
import dev.parapet.core.redact.ScanResult;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * Walks every message text of a Chat Completions body — string content and the {@code text} of
 * text parts — once each: {@link #firstMatch} for {@code block}, {@link #scrub} (in place) for
 * {@code warn}. Other fields (tool definitions, names, image URLs) are not scanned.
 */
final class PromptScrubber {
  private PromptScrubber() {}

  /** The pattern of the first match in message order, if any. */
  static Optional<RedactionPattern> firstMatch(Redactor redactor, ObjectNode body) {
    for (JsonNode message : body.path("messages")) {
      JsonNode content = message.get("content");
      if (content != null && content.isTextual()) {
        ScanResult r = redactor.scan(content.asText());
        if (r.matched()) {
          return r.first();
        }
      } else if (content != null && content.isArray()) {
        for (JsonNode part : content) {
          JsonNode text = part.get("text");
          if ("text".equals(part.path("type").asText()) && text != null && text.isTextual()) {
            ScanResult r = redactor.scan(text.asText());
            if (r.matched()) {
              return r.first();
            }
          }
        }
      }
    }
    return Optional.empty();
  }

  /** Replaces every match in place; returns the replacements per pattern (empty if none). */
  static Map<RedactionPattern, Integer> scrub(Redactor redactor, ObjectNode body) {
    Map<RedactionPattern, Integer> counts = new EnumMap<>(RedactionPattern.class);
    for (JsonNode message : body.path("messages")) {
      if (!(message instanceof ObjectNode m)) {
        continue;
      }
      JsonNode content = m.get("content");
      if (content != null && content.isTextual()) {
        scrubField(redactor, m, "content", counts);
      } else if (content != null && content.isArray()) {
        for (JsonNode part : content) {
          if (part instanceof ObjectNode p && "text".equals(p.path("type").asText()) && p.path("text").isTextual()) {
            scrubField(redactor, p, "text", counts);
          }
        }
      }
    }
    return counts;
  }

  private static void scrubField(
      Redactor redactor, ObjectNode holder, String field, Map<RedactionPattern, Integer> counts) {
    Redacted r = redactor.redact(holder.get(field).asText());
    if (!r.counts().isEmpty()) {
      holder.set(field, TextNode.valueOf(r.text()));
      r.counts().forEach((p, n) -> counts.merge(p, n, Integer::sum));
    }
  }
}
