package dev.parapet.runtime.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.redact.Redacted;
import dev.parapet.core.redact.Redactor;
import dev.parapet.core.redact.ScanResult;
import dev.parapet.core.redact.ToolArguments;
import dev.parapet.runtime.provider.AnswerFields;
import dev.parapet.runtime.provider.Translated;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The text walk of a whole answer under {@link StreamGuard}: where its billed output texts stand
 * ({@link #outputTexts}: counted and scanned), where the strings in fields nobody reads stand
 * ({@link #unknownTexts}: scanned, never counted), and the scan ({@code block}: {@link #firstMatch},
 * {@link #splitParts}) or scrub ({@code warn}, {@code off}: {@link #scrub}, {@link #splitParts}) of
 * them in the answer itself. See {@link StreamGuard#prepareAnswer}, its one caller, for what is
 * counted, scanned and recorded when; and the guard's class Javadoc for how a JSON answer is read.
 *
 * <p>Static and without state: it works on the answer it is given, on the thread the guard's
 * {@code prepareAnswer} runs on (a policy thread, for a large answer). It is only ever reached
 * through the guard.
 */
final class AnswerTexts {
  private AnswerTexts() {}

  /**
   * One output text of a whole answer, where it stands in the answer: an object's field, or an
   * array's element ({@code field} null).
   */
  record TextAt(JsonNode holder, String field, int index, boolean arguments) {
    TextAt(JsonNode holder, String field, int index) {
      this(holder, field, index, false);
    }

    TextAt(ObjectNode holder, String field) {
      this(holder, field, -1);
    }

    String text() {
      return (field != null ? holder.get(field) : holder.get(index)).asText();
    }

    void set(Translated answer, String text) {
      if (holder instanceof ObjectNode object) {
        answer.set(object, field, TextNode.valueOf(text));
      } else {
        ((ArrayNode) holder).set(index, TextNode.valueOf(text));
        answer.markRewritten();
      }
    }
  }

  /**
   * Every string of a whole answer in fields nobody reads, at every level, in order: beside the
   * choices (a server's debugging field), beside a choice's message ({@code logprobs} sent unasked,
   * a {@code delta} as a chunk would carry)
   * and in the message (a server's {@code reasoning_details}, {@code annotations}, a field added
   * later, and a tool call's beside its billed text: {@link #toolCallStrings}); {@link AnswerFields}
   * names the fields left out. The caller receives them, so under
   * {@code scan_output} they are scanned; they may not be billed, so they are never counted.
   */
  static List<TextAt> unknownTexts(Translated answer) {
    List<TextAt> out = new ArrayList<>(0);
    for (JsonNode choice : answer.body().path("choices")) {
      if (choice instanceof ObjectNode c) {
        unknownFields(c, AnswerFields.CHOICE, out);
        if (c.path("message") instanceof ObjectNode message) {
          unknownFields(message, AnswerFields.MESSAGE, out);
          toolCallStrings(message, out);
        }
      }
    }
    unknownFields(answer.body(), AnswerFields.TOP, out);
    return out;
  }

  private static void unknownFields(ObjectNode object, Set<String> known, List<TextAt> out) {
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      if (!known.contains(field.getKey())) {
        strings(object, field.getKey(), -1, field.getValue(), out);
      }
    }
  }

  /**
   * The strings of a message's {@code tool_calls} and {@code function_call} that are not billed
   * text ({@link #outputTexts}: the names and arguments): whatever else a server puts there; a
   * call's {@code id}, {@code type} and {@code index} aside when they are no object or array
   * (identifiers, no text).
   */
  private static void toolCallStrings(ObjectNode message, List<TextAt> out) {
    JsonNode calls = message.get("tool_calls");
    if (calls instanceof ArrayNode array) {
      for (int i = 0; i < array.size(); i++) {
        if (!(array.get(i) instanceof ObjectNode call)) {
          strings(array, null, i, array.get(i), out);
          continue;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = call.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> field = it.next();
          JsonNode value = field.getValue();
          switch (field.getKey()) {
            case "function" -> stringsBeside(call, "function", "arguments", out);
            case "custom" -> stringsBeside(call, "custom", "input", out);
            case "id", "type", "index" -> {
              if (value.isContainerNode()) {
                strings(call, field.getKey(), -1, value, out);
              }
            }
            default -> strings(call, field.getKey(), -1, value, out);
          }
        }
      }
    } else if (calls != null) {
      strings(message, "tool_calls", -1, calls, out);
    }
    if (message.has("function_call")) {
      stringsBeside(message, "function_call", "arguments", out);
    }
  }

  /** Every string at or under {@code holder.field} but its object's billed {@code name} and {@code key} strings. */
  private static void stringsBeside(ObjectNode holder, String field, String key, List<TextAt> out) {
    JsonNode value = holder.get(field);
    if (!(value instanceof ObjectNode object)) {
      strings(holder, field, -1, value, out);
      return;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (!((f.getKey().equals(key) || f.getKey().equals("name")) && f.getValue().isTextual())) {
        strings(object, f.getKey(), -1, f.getValue(), out);
      }
    }
  }

  /** Every string at or under {@code value}, which stands at {@code field} or {@code index} of {@code holder}. */
  private static void strings(JsonNode holder, String field, int index, JsonNode value, List<TextAt> out) {
    strings(holder, field, index, value, null, out);
  }

  /** {@link #strings} but a string standing at a field named {@code skipped} (null: none). */
  private static void strings(JsonNode holder, String field, int index, JsonNode value, String skipped,
      List<TextAt> out) {
    if (value.isTextual()) {
      if (field == null || !field.equals(skipped)) {
        out.add(new TextAt(holder, field, index));
      }
    } else if (value.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        strings(value, f.getKey(), -1, f.getValue(), skipped, out);
      }
    } else if (value.isArray()) {
      for (int i = 0; i < value.size(); i++) {
        strings(value, null, i, value.get(i), skipped, out);
      }
    }
  }

  /**
   * Every billed output text of a whole answer, in order: per choice, the message's {@code
   * content} (or the text of its parts: {@link #addTexts}), the reasoning an OpenAI-compatible server returns beside it ({@code
   * reasoning_content}: DeepSeek, llama.cpp, older vLLM; {@code reasoning}: newer vLLM, Ollama,
   * OpenRouter), its {@code refusal}, each {@code tool_calls[].function} name and arguments or
   * {@code tool_calls[].custom} name and input (a custom tool's free text) and a legacy {@code
   * function_call}'s name and arguments. All are output the provider charges and the caller
   * receives (a model writes a call's name as it writes its arguments), so all are counted and
   * scanned. {@code jsonAnswer}: the call asked for JSON, so a {@code content} string is read as
   * the caller's parser reads it, like arguments ({@link ToolArguments}).
   */
  static List<TextAt> outputTexts(Translated answer, boolean jsonAnswer) {
    List<TextAt> out = new ArrayList<>(1);
    for (JsonNode choice : answer.body().path("choices")) {
      if (!(choice.path("message") instanceof ObjectNode message)) {
        continue;
      }
      if (jsonAnswer && message.path("content").isTextual()) {
        addArguments(out, message, "content");
      } else {
        addTexts(out, message, "content");
      }
      addTexts(out, message, "reasoning_content");
      addTexts(out, message, "reasoning");
      addTexts(out, message, "refusal");
      if (message.path("tool_calls") instanceof ArrayNode calls) {
        for (JsonNode call : calls) {
          if (call.path("function") instanceof ObjectNode function) {
            addText(out, function, "name");
            addArguments(out, function, "arguments");
          }
          if (call.path("custom") instanceof ObjectNode custom) {
            addText(out, custom, "name");
            addArguments(out, custom, "input"); // a custom tool's free-text input: read as JSON when it is
          }
        }
      }
      if (message.path("function_call") instanceof ObjectNode function) {
        addText(out, function, "name");
        addArguments(out, function, "arguments");
      }
    }
    return out;
  }

  /**
   * {@code holder.field}: a string, or the strings of parts (Mistral's Magistral sends {@code
   * content} as {@code [{"type":"text","text":"…"}]}; a server may send reasoning or a refusal so),
   * each where it stands, but a {@code type} field's (a part's kind, no text).
   */
  private static void addTexts(List<TextAt> out, ObjectNode holder, String field) {
    JsonNode value = holder.get(field);
    if (value != null) {
      strings(holder, field, -1, value, "type", out);
    }
  }

  private static void addText(List<TextAt> out, ObjectNode holder, String field) {
    if (holder.path(field).isTextual()) {
      out.add(new TextAt(holder, field));
    }
  }

  /**
   * A tool call's arguments (a custom tool's input), scanned and scrubbed as their reader reads
   * them: decoded, when they are JSON ({@link ToolArguments}).
   */
  private static void addArguments(List<TextAt> out, ObjectNode holder, String field) {
    if (holder.path(field).isTextual()) {
      out.add(new TextAt(holder, field, -1, true));
    }
  }

  static Optional<String> firstMatch(Redactor redactor, List<TextAt> texts) {
    for (TextAt at : texts) {
      Optional<RedactionPattern> found = at.arguments()
          ? ToolArguments.firstMatch(redactor, at.text()) : redactor.scan(at.text()).first();
      if (found.isPresent()) {
        return Optional.of(found.get().name());
      }
    }
    return Optional.empty();
  }

  /** The message fields whose text may come as parts ({@link #addTexts}). */
  private static final String[] PART_FIELDS = {"content", "reasoning_content", "reasoning", "refusal"};

  /**
   * A message's text sent as parts reaches the caller's reader joined, with nothing between the
   * parts (a stream's are scanned so: the chunk reader joins them), so each such field is also
   * scanned as one text, or an address split over two parts would pass. {@code counts} null
   * ({@code block}): returns the first match's pattern. Else ({@code warn}) where the joined text
   * holds more matches than its parts do one by one (a match across parts), its first string gets
   * the whole text scrubbed and the others are emptied (the parts and their types stay), and the
   * replacements are added to {@code counts}; otherwise the parts are scrubbed where they stand.
   * {@code jsonAnswer}: the content's parts, one or more, are JSON text the caller parses joined,
   * so they are also read so ({@link ToolArguments}); under {@code warn}, where that finds a match,
   * the first part gets the plain form scrubbed (JSON stays JSON) and the others are emptied.
   */
  static Optional<String> splitParts(Redactor redactor, Translated answer, Map<String, Integer> counts,
      boolean jsonAnswer) {
    for (JsonNode choice : answer.body().path("choices")) {
      if (!(choice.path("message") instanceof ObjectNode message)) {
        continue;
      }
      for (String field : PART_FIELDS) {
        JsonNode value = message.get(field);
        if (value == null || !value.isContainerNode()) {
          continue;
        }
        List<TextAt> parts = new ArrayList<>();
        strings(message, field, -1, value, "type", parts);
        if (jsonAnswer && field.equals("content") && !parts.isEmpty()) {
          StringBuilder json = new StringBuilder();
          parts.forEach(at -> json.append(at.text()));
          if (counts == null) {
            Optional<RedactionPattern> found = ToolArguments.firstMatch(redactor, json.toString());
            if (found.isPresent()) {
              return Optional.of(found.get().name());
            }
          } else {
            Redacted r = ToolArguments.redact(redactor, json.toString());
            if (!r.counts().isEmpty()) {
              parts.get(0).set(answer, r.text());
              parts.subList(1, parts.size()).forEach(at -> at.set(answer, ""));
              r.counts().forEach((p, n) -> counts.merge(p.name(), n, Integer::sum));
              continue;
            }
          }
        }
        if (parts.size() < 2) {
          continue; // one string: the scan of the texts reads it whole
        }
        StringBuilder joined = new StringBuilder();
        parts.forEach(at -> joined.append(at.text()));
        if (counts == null) {
          ScanResult found = redactor.scan(joined.toString());
          if (found.matched()) {
            return Optional.of(found.first().orElseThrow().name());
          }
          continue;
        }
        Redacted r = redactor.redact(joined.toString());
        int apart = 0;
        for (TextAt at : parts) {
          apart += total(redactor.redact(at.text()).counts());
        }
        if (total(r.counts()) > apart) { // a match across parts: the parts alone would miss it
          parts.get(0).set(answer, r.text());
          parts.subList(1, parts.size()).forEach(at -> at.set(answer, ""));
          r.counts().forEach((p, n) -> counts.merge(p.name(), n, Integer::sum));
        }
      }
    }
    return Optional.empty();
  }

  private static int total(Map<RedactionPattern, Integer> counts) {
    return counts.values().stream().mapToInt(Integer::intValue).sum();
  }

  /**
   * Replaces every match in the answer's texts (tool-call arguments too), adding the replacements
   * per pattern name to {@code counts}; returns {@code counts}.
   */
  static Map<String, Integer> scrub(Redactor redactor, Translated answer, List<TextAt> texts,
      Map<String, Integer> counts) {
    for (TextAt at : texts) {
      Redacted r = at.arguments() ? ToolArguments.redact(redactor, at.text()) : redactor.redact(at.text());
      if (!r.counts().isEmpty()) {
        at.set(answer, r.text());
        r.counts().forEach((p, n) -> counts.merge(p.name(), n, Integer::sum));
      }
    }
    return counts;
  }
}
