package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Translates an OpenAI Chat Completions request into an Anthropic Messages request
 * (https://docs.anthropic.com/en/api/messages).
 *
 * <ul>
 *   <li>{@code system} and {@code developer} messages, wherever they stand, become the top-level
 *       {@code system} string, joined with a blank line: Anthropic has no system turns.
 *   <li>{@code user}/{@code assistant} content (a string or OpenAI text/image parts) becomes
 *       content blocks; an {@code image_url} part is a base64 {@code data:} URL of one of the four
 *       image types Anthropic reads, or an {@code https} URL that Anthropic fetches itself (a
 *       {@code url} source; Parapet never fetches it). Other URLs are refused. An assistant
 *       turn's {@code refusal} (a part, or the message's field: a turn OpenAI refused, replayed)
 *       becomes the text it says. Any other field of a message is refused by name.
 *   <li>Consecutive messages of the same role are <em>merged</em> into one message (their blocks
 *       concatenated), because Anthropic requires user and assistant turns to alternate and the
 *       merge keeps every word the caller sent, in order. Empty text is dropped (Anthropic
 *       rejects empty text blocks); a turn left with nothing is refused.
 *   <li>Tools: {@code tools} (functions) become Anthropic tools ({@code parameters} as {@code
 *       input_schema}); {@code tool_choice} {@code auto}/{@code none}/{@code required}/a named
 *       function becomes {@code auto}/{@code none}/{@code any}/{@code tool}, and {@code
 *       parallel_tool_calls: false} its {@code disable_parallel_tool_use}; an assistant turn's
 *       {@code tool_calls} become {@code tool_use} blocks (their {@code arguments} must be a JSON
 *       object), and a {@code tool} message becomes a {@code tool_result} block in a user turn.
 *   <li>{@code response_format} {@code json_object} or {@code json_schema}: Anthropic has no JSON
 *       mode every model reads, so the answer is asked for as the input of one forced tool, {@value
 *       AnthropicTools#JSON_TOOL}, whose schema is the caller's; the answer's translation turns
 *       that tool's input back into the message's content. {@code strict: true} (the answer's
 *       schema, or a function's) makes that tool strict where the route's model guarantees a
 *       schema ({@link AnthropicModels}), and is refused on any other model. On the models that
 *       refuse forced tools (Claude Fable 5.1, Mythos 5.1, Opus and Sonnet 5.5) a {@code json_schema} answer is
 *       Anthropic's {@code output_config.format} instead, answered as text; {@code json_object}
 *       and a forced {@code tool_choice} are refused there.
 *   <li>{@code max_tokens}/{@code max_completion_tokens} (the smaller), {@code temperature}
 *       (Anthropic's range is 0..1, OpenAI's 0..2: above 1 is refused, not clamped),
 *       {@code top_p}, {@code stop} (string or list) as {@code stop_sequences}, {@code stream},
 *       and {@code user} (or, without it, {@code safety_identifier}, OpenAI's successor to it) as
 *       {@code metadata.user_id}.
 *   <li>{@code reasoning_effort} as extended thinking with a token budget, or on the models that
 *       think only adaptively as adaptive thinking with an effort ({@link AnthropicThinking}).
 * </ul>
 *
 * <p>Anything else that would change the answer ({@code n > 1}, logprobs, penalties, seeds, audio,
 * legacy {@code functions}, strict schemas on a model without structured outputs...) is refused
 * with the field's name rather than silently dropped; so are fields we do not know, as OpenAI
 * itself refuses unknown arguments. Fields without effect on the answer are ignored.
 */
final class AnthropicRequests {
  /** Anthropic requires {@code max_tokens}; the pipeline always sets it, this is a backstop. */
  static final int DEFAULT_MAX_TOKENS = 4096;

  /**
   * OpenAI fields that change nothing Anthropic could honour or that we handle elsewhere ({@code
   * store: true} and {@code metadata} never get here: the route stage refuses and drops them).
   */
  private static final Set<String> IGNORED = Set.of(
      "model", "messages", "stream_options", "store", "metadata", "service_tier", "prompt_cache_key");

  /** OpenAI fields we translate. */
  private static final Set<String> TRANSLATED = Set.of(
      "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop", "stream", "user",
      "safety_identifier", "reasoning_effort",
      "tools", "tool_choice", "parallel_tool_calls", "response_format");

  /** Fields harmless at their neutral value, refused otherwise. */
  private static final Map<String, Predicate<JsonNode>> NEUTRAL = Map.of(
      "n", v -> v.isIntegralNumber() && v.asInt() == 1,
      "logprobs", v -> v.isBoolean() && !v.asBoolean(),
      "presence_penalty", v -> v.isNumber() && v.asDouble() == 0,
      "frequency_penalty", v -> v.isNumber() && v.asDouble() == 0,
      "logit_bias", v -> v.isObject() && v.isEmpty(),
      "modalities", v -> v.isArray() && v.size() == 1 && "text".equals(v.get(0).asText()));

  private AnthropicRequests() {}

  static ObjectNode translate(String model, ObjectNode request) throws InvalidRequestException {
    checkFields(request);
    for (String field : new String[] {"max_tokens", "max_completion_tokens"}) {
      JsonNode v = request.get(field);
      if (v != null && !v.isNull()
          && !(v.isIntegralNumber() && v.canConvertToInt() && v.intValue() > 0)) {
        throw new InvalidRequestException(field + ": expected a positive integer");
      }
    }
    ObjectNode body = Json.NODES.objectNode();
    body.put("model", model);
    body.put("max_tokens", ChatMessages.maxOutputTokens(request).orElse(DEFAULT_MAX_TOKENS));
    translateMessages(request, body);
    JsonNode temperature = request.get("temperature");
    if (temperature != null && !temperature.isNull()) {
      if (!temperature.isNumber() || temperature.asDouble() < 0 || temperature.asDouble() > 1) {
        throw new InvalidRequestException(
            "temperature: expected a number in 0..1 for an anthropic route");
      }
      body.set("temperature", temperature);
    }
    JsonNode topP = request.get("top_p");
    if (topP != null && !topP.isNull()) {
      if (!topP.isNumber()) {
        throw new InvalidRequestException("top_p: expected a number");
      }
      body.set("top_p", topP);
    }
    translateStop(request.get("stop"), body);
    AnthropicTools.translate(model, request, body);
    AnthropicThinking.translate(model, request, body);
    if (Providers.isStreaming(request)) {
      body.put("stream", true);
    }
    for (String id : new String[] {"user", "safety_identifier"}) {
      JsonNode user = request.get(id);
      if (user != null && user.isTextual() && !user.asText().isEmpty()) {
        body.putObject("metadata").put("user_id", user.asText());
        break;
      }
    }
    return body;
  }

  private static void checkFields(ObjectNode request) throws InvalidRequestException {
    for (var field : request.properties()) {
      String name = field.getKey();
      JsonNode value = field.getValue();
      if (IGNORED.contains(name) || TRANSLATED.contains(name) || value.isNull()) {
        continue;
      }
      Predicate<JsonNode> neutral = NEUTRAL.get(name);
      if (neutral != null && neutral.test(value)) {
        continue;
      }
      throw new InvalidRequestException(
          Json.safe(name) + ": not supported on an anthropic route"
              + (neutral != null ? " (except its default)" : ""));
    }
  }

  private static void translateMessages(ObjectNode request, ObjectNode body)
      throws InvalidRequestException {
    JsonNode messages = request.get("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      throw new InvalidRequestException("messages: expected a non-empty array");
    }
    List<String> system = new ArrayList<>();
    ArrayNode out = Json.NODES.arrayNode();
    String lastRole = null;
    ArrayNode lastBlocks = null;
    for (int i = 0; i < messages.size(); i++) {
      String where = "messages[" + i + "]";
      JsonNode message = messages.get(i);
      String role = message.path("role").asText("");
      switch (role) {
        case "system", "developer" -> {
          checkMessageFields(message, SYSTEM_FIELDS, where);
          String text = systemText(message.get("content"), where);
          if (!text.isEmpty()) {
            system.add(text);
          }
        }
        case "user", "assistant", "tool" -> {
          checkMessageFields(message,
              role.equals("assistant") ? ASSISTANT_FIELDS : role.equals("tool") ? TOOL_FIELDS : USER_FIELDS, where);
          if (message.has("function_call") && !message.get("function_call").isNull()) {
            throw new InvalidRequestException(where + ".function_call: not supported on an anthropic route "
                + "(use tool_calls)");
          }
          String turnRole = role.equals("tool") ? "user" : role; // a tool's result is the user's turn
          ArrayNode blocks = turnRole.equals(lastRole) ? lastBlocks : Json.NODES.arrayNode();
          if (role.equals("tool")) {
            AnthropicTools.result(message, where, blocks);
          } else {
            contentBlocks(message.get("content"), where, role, blocks);
            JsonNode refusal = message.get("refusal"); // an OpenAI answer's refusal, replayed
            if (refusal != null && !refusal.isNull()) {
              if (!refusal.isTextual()) {
                throw new InvalidRequestException(where + ".refusal: expected a string");
              }
              addText(blocks, refusal.asText());
            }
            AnthropicTools.calls(message, where, role, blocks);
          }
          if (!turnRole.equals(lastRole)) {
            ObjectNode turn = out.addObject();
            turn.put("role", turnRole);
            turn.set("content", blocks);
            lastRole = turnRole;
            lastBlocks = blocks;
          }
        }
        default -> throw new InvalidRequestException(
            where + ".role: " + (role.isEmpty() ? "missing" : "'" + Json.safe(role) + "'")
                + " (expected: system, developer, user, assistant or tool on an anthropic route)");
      }
    }
    if (out.isEmpty()) {
      throw new InvalidRequestException("messages: at least one user or assistant message required");
    }
    for (JsonNode turn : out) {
      if (turn.get("content").isEmpty()) {
        throw new InvalidRequestException(
            "messages: " + (turn.get("role").asText().equals("user") ? "a user" : "an assistant")
                + " turn has no content");
      }
    }
    if (!system.isEmpty()) {
      body.put("system", String.join("\n\n", system));
    }
    body.set("messages", out);
  }

  /**
   * A message's fields beside its role and content, by role. A field Anthropic cannot honour is
   * refused by name, as at the top level, never dropped: a {@code name} (Anthropic has no
   * speakers; a multi-agent client can put the name in the content, or stop sending it, as
   * clients already do for providers that refuse it), an earlier answer's {@code audio},
   * another server's {@code reasoning_content}... A null is no field. An answer's {@code
   * annotations} (OpenAI's citations of its own answer) are ignored: a caller replays them with
   * the answer they came with, and the answer's text is sent.
   */
  private static void checkMessageFields(JsonNode message, Set<String> known, String where)
      throws InvalidRequestException {
    for (var field : message.properties()) {
      String name = field.getKey();
      JsonNode value = field.getValue();
      if (value.isNull() || known.contains(name)) {
        continue;
      }
      throw new InvalidRequestException(where + "." + Json.safe(name) + ": not supported on an anthropic route"
          + (name.equals("name") ? " (Anthropic has no speaker names; put it in the content)" : ""));
    }
  }

  private static final Set<String> SYSTEM_FIELDS = Set.of("role", "content");
  // tool_calls and function_call where they cannot stand are refused below, with their own reasons
  private static final Set<String> USER_FIELDS = Set.of("role", "content", "tool_calls", "function_call");
  private static final Set<String> ASSISTANT_FIELDS =
      Set.of("role", "content", "tool_calls", "function_call", "refusal", "annotations");
  private static final Set<String> TOOL_FIELDS = Set.of("role", "content", "tool_call_id", "function_call");

  private static String systemText(JsonNode content, String where) throws InvalidRequestException {
    if (content != null && content.isArray()) {
      for (JsonNode part : content) {
        if (!"text".equals(part.path("type").asText())) {
          throw new InvalidRequestException(where + ".content: only text parts are allowed in a system message");
        }
      }
    } else if (content != null && !content.isTextual() && !content.isNull()) {
      throw new InvalidRequestException(where + ".content: expected a string or an array of parts");
    }
    return ChatMessages.text(content);
  }

  private static void contentBlocks(JsonNode content, String where, String role, ArrayNode blocks)
      throws InvalidRequestException {
    if (content == null || content.isNull()) {
      return; // e.g. an assistant turn that only carried tool calls
    }
    if (content.isTextual()) {
      addText(blocks, content.asText());
      return;
    }
    if (!content.isArray()) {
      throw new InvalidRequestException(where + ".content: expected a string or an array of parts");
    }
    for (int p = 0; p < content.size(); p++) {
      JsonNode part = content.get(p);
      String type = part.path("type").asText("");
      switch (type) {
        case "text" -> {
          if (!part.path("text").isTextual()) {
            throw new InvalidRequestException(where + ".content[" + p + "].text: expected a string");
          }
          addText(blocks, part.get("text").asText());
        }
        case "refusal" -> { // an earlier assistant turn OpenAI refused: Claude reads what it said
          if (!role.equals("assistant")) {
            throw new InvalidRequestException(where + ".content[" + p + "]: refusals only in assistant messages");
          }
          if (!part.path("refusal").isTextual()) {
            throw new InvalidRequestException(where + ".content[" + p + "].refusal: expected a string");
          }
          addText(blocks, part.get("refusal").asText());
        }
        case "image_url" -> {
          if (!role.equals("user")) {
            throw new InvalidRequestException(where + ".content[" + p + "]: images only in user messages");
          }
          blocks.add(image(part.path("image_url").path("url").asText(""), where + ".content[" + p + "]"));
        }
        default -> throw new InvalidRequestException(where + ".content[" + p + "].type: "
            + (type.isEmpty() ? "missing" : "'" + Json.safe(type) + "'")
            + " (expected: text, image_url or refusal on an anthropic route)");
      }
    }
  }

  private static void addText(ArrayNode blocks, String text) {
    if (!text.isEmpty()) {
      blocks.addObject().put("type", "text").put("text", text);
    }
  }

  /** The image types Anthropic reads. */
  private static final List<String> IMAGE_TYPES = List.of("image/jpeg", "image/png", "image/gif", "image/webp");

  /**
   * An OpenAI image URL as an Anthropic image block: an {@code https} URL as a {@code url} source;
   * a {@code data:} URL as a base64 source, in one pass over the data (no regex on a caller's
   * megabytes), whitespace dropped, anything else not base64 refused.
   */
  private static ObjectNode image(String url, String where) throws InvalidRequestException {
    if (url.regionMatches(true, 0, "https://", 0, "https://".length()) && url.length() > "https://".length()) {
      ObjectNode block = Json.NODES.objectNode();
      block.put("type", "image");
      block.putObject("source").put("type", "url").put("url", url);
      return block;
    }
    String type = null;
    for (String t : IMAGE_TYPES) {
      if (url.startsWith("data:" + t + ";base64,")) {
        type = t;
      }
    }
    int start = type == null ? url.length() : "data:".length() + type.length() + ";base64,".length();
    String data = base64(url, start);
    if (data.isEmpty()) {
      throw new InvalidRequestException(where + ".image_url.url: expected an https URL or a base64 data: URL "
          + "of image/jpeg, image/png, image/gif or image/webp on an anthropic route");
    }
    ObjectNode block = Json.NODES.objectNode();
    block.put("type", "image");
    ObjectNode source = block.putObject("source");
    source.put("type", "base64");
    source.put("media_type", type);
    source.put("data", data);
    return block;
  }

  /** {@code url} from {@code start} without whitespace; empty if anything else is not base64. */
  private static String base64(String url, int start) {
    StringBuilder kept = null; // only when there is whitespace to drop
    for (int i = start; i < url.length(); i++) {
      char c = url.charAt(i);
      if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
        if (kept != null) {
          kept.append(c);
        }
      } else if (c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r') {
        if (kept == null) {
          kept = new StringBuilder(url.length() - start).append(url, start, i);
        }
      } else {
        return "";
      }
    }
    return kept != null ? kept.toString() : url.substring(start);
  }

  private static void translateStop(JsonNode stop, ObjectNode body) throws InvalidRequestException {
    if (stop == null || stop.isNull()) {
      return;
    }
    List<String> sequences = new ArrayList<>();
    if (stop.isTextual()) {
      sequences.add(stop.asText());
    } else if (stop.isArray()) {
      for (JsonNode s : stop) {
        if (!s.isTextual()) {
          throw new InvalidRequestException("stop: expected a string or an array of strings");
        }
        sequences.add(s.asText());
      }
    } else {
      throw new InvalidRequestException("stop: expected a string or an array of strings");
    }
    if (!sequences.isEmpty()) {
      ArrayNode out = body.putArray("stop_sequences");
      sequences.forEach(out::add);
    }
  }
}
