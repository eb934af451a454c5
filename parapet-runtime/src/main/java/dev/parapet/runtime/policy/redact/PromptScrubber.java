package dev.parapet.runtime.policy.redact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.redact.Redacted;
import dev.parapet.core.redact.Redactor;
import dev.parapet.runtime.provider.ChatMessages;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * Walks every message text of a Chat Completions body — string content, the {@code text} of text
 * parts, and the {@code arguments} of the tool calls an assistant turn made (a tool's answer is a
 * {@code tool} message's content) — and a Predicted Outputs {@code prediction}'s content (often
 * the file being edited, sent to the provider like the prompt), once each: {@link #firstMatch}
 * for {@code block}, {@link #scrub} (in place; arguments that were JSON stay JSON) for {@code
 * warn}. Tool definitions, function names and image URLs are not scanned.
 */
final class PromptScrubber {
  private PromptScrubber() {}

  /** The pattern of the first match in message order, if any. */
  static Optional<RedactionPattern> firstMatch(Redactor redactor, ObjectNode body) {
    RedactionPattern[] first = new RedactionPattern[1];
    forEachText(body, (holder, field) -> {
      first[0] = redactor.scan(holder.get(field).asText()).first().orElse(null);
      return first[0] == null;
    });
    return Optional.ofNullable(first[0]);
  }

  /** Replaces every match in place; returns the replacements per pattern (empty if none). */
  static Map<RedactionPattern, Integer> scrub(Redactor redactor, ObjectNode body) {
    Map<RedactionPattern, Integer> counts = new EnumMap<>(RedactionPattern.class);
    forEachText(body, (holder, field) -> {
      scrubField(redactor, holder, field, counts);
      return true;
    });
    return counts;
  }

  /** A message text: {@code holder.get(field)} is textual. Returns false to stop the walk. */
  @FunctionalInterface
  private interface TextField {
    boolean visit(ObjectNode holder, String field);
  }

  /**
   * The one walk, message by message: string {@code content} or the {@code text} of each text part,
   * then each tool call's {@code arguments}; then the prediction's content, in the same two shapes.
   */
  private static void forEachText(ObjectNode body, TextField visitor) {
    for (JsonNode message : body.path("messages")) {
      if (!(message instanceof ObjectNode m)) {
        continue;
      }
      if (!content(m, visitor)) {
        return;
      }
      for (JsonNode call : m.path("tool_calls")) {
        if (!arguments(call.path("function"), visitor)) {
          return;
        }
      }
      if (!arguments(m.path("function_call"), visitor)) {
        return;
      }
    }
    if (body.path("prediction") instanceof ObjectNode prediction) {
      content(prediction, visitor);
    }
  }

  /** {@code holder.content}: a string, or the {@code text} of each text part; false to stop. */
  private static boolean content(ObjectNode holder, TextField visitor) {
    JsonNode content = holder.get("content");
    if (content != null && content.isTextual()) {
      return visitor.visit(holder, "content");
    }
    if (content != null && content.isArray()) {
      for (JsonNode part : content) {
        if (part instanceof ObjectNode p && ChatMessages.isTextPart(p) && !visitor.visit(p, "text")) {
          return false;
        }
      }
    }
    return true;
  }

  /** A function's {@code arguments}, if a string; false when the visitor stops the walk. */
  private static boolean arguments(JsonNode function, TextField visitor) {
    return !(function instanceof ObjectNode f && f.path("arguments").isTextual()) || visitor.visit(f, "arguments");
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
