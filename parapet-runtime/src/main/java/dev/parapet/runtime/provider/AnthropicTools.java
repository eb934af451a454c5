package dev.parapet.runtime.provider;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * OpenAI function calling as Anthropic tool use (https://docs.anthropic.com/en/docs/agents-and-tools/tool-use),
 * for {@link AnthropicRequests}. Every shape is checked and a bad one refused with its path, never
 * its value: Anthropic would refuse it too, after a hold and a round trip.
 *
 * <p>{@code strict: true} (a function's, or a {@code json_schema} answer's) becomes Anthropic's
 * strict tool use (https://platform.claude.com/docs/en/agents-and-tools/tool-use/strict-tool-use):
 * {@code strict: true} on that tool, whose input is then sampled under the schema's grammar. A
 * JSON answer stays the forced tool, made strict, rather than Anthropic's {@code
 * output_config.format}: one translation for every JSON answer (a {@code json_object} cannot be a
 * strict schema), whose answer and stream translation, scanning and settlement are the tool's, and
 * whose prompt overhead is the documented tool-use system prompt already counted. On the models
 * that refuse a forced tool ({@link AnthropicModels#refusesForcedTools}: Claude Fable 5.1, Mythos
 * 5.1, Opus 5.5 and Sonnet 5.5), a {@code json_schema} answer is {@code output_config: {format: {type:
 * "json_schema", schema}}} instead (https://platform.claude.com/docs/en/build-with-claude/structured-outputs),
 * whose answer is plain text, translated and scanned as such; its format prompt, of a size
 * Anthropic does not publish, is counted as the tool-use system prompt. There {@code json_object}
 * and a forced {@code tool_choice} are refused: nothing can make Anthropic force a tool. Only a model
 * {@link AnthropicModels#structuredOutputs} names gets it; elsewhere {@code strict: true} is
 * refused, never sent as a guarantee nobody keeps. The schema subset Anthropic compiles (no
 * recursion, no numeric or length bounds, {@code additionalProperties} only {@code false}...) is
 * Anthropic's to check: its 400 names what it refused and is passed to the caller.
 */
public final class AnthropicTools {
  /** Tool-call arguments as JSON: the whole string must be one value. */
  private static final ObjectReader ARGUMENTS =
      Json.MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /**
   * The tool a JSON answer is asked for through ({@code response_format}); a caller's tool may not
   * take its name, so a {@code tool_use} of that name in an answer is always the JSON answer.
   */
  static final String JSON_TOOL = "parapet_json_answer";

  /**
   * The system prompt Anthropic adds to a call that offers tools, in tokens: the largest its tool
   * use documentation lists for any model and {@code tool_choice} (Claude Opus 4.7, {@code any} or
   * {@code tool}: 804; Opus, Sonnet and Haiku 4.5 and 4.6 up to 589, Opus 4.8 410, Sonnet 5 474,
   * Claude 3 Opus 530, Claude 4 and 4.1 315). It is billed input that none of the request's texts
   * holds.
   */
  public static final int SYSTEM_PROMPT_TOKENS = 804;

  private AnthropicTools() {}

  /**
   * Prompt tokens an anthropic route's call gets beyond its texts: the tool-use system prompt when
   * the translated call offers tools (the caller's, or a JSON answer's forced tool), else none. A
   * JSON answer sent as structured outputs (on the models that refuse forced tools) gets a format
   * system prompt of a size Anthropic does not publish: the same allowance stands for it, so the
   * hold never counts less than the tool path would.
   */
  public static int promptOverhead(JsonNode request) {
    JsonNode tools = request.get("tools");
    boolean offersTools = tools != null && tools.isArray() && !tools.isEmpty();
    String format = request.path("response_format").path("type").asText();
    return offersTools || format.equals("json_object") || format.equals("json_schema") ? SYSTEM_PROMPT_TOKENS : 0;
  }

  /**
   * {@code tools}, {@code tool_choice}, {@code parallel_tool_calls} and {@code response_format}
   * onto {@code body}.
   */
  static void translate(String model, ObjectNode request, ObjectNode body) throws InvalidRequestException {
    ArrayNode tools = tools(model, request.get("tools"));
    boolean unforced = AnthropicModels.refusesForcedTools(model);
    ObjectNode json = jsonTool(model, request.get("response_format"), unforced);
    if (json != null) {
      if (!tools.isEmpty() || request.hasNonNull("tool_choice")) {
        throw new InvalidRequestException("response_format: a JSON answer cannot be combined with tools "
            + (unforced ? "on an anthropic route" : "on an anthropic route (it is asked for as a forced tool call)"));
      }
      if (unforced) {
        // structured outputs: the answer is the text, constrained to the schema
        body.putObject("output_config").putObject("format").put("type", "json_schema")
            .set("schema", json.get("input_schema"));
        return;
      }
      body.putArray("tools").add(json);
      body.putObject("tool_choice").put("type", "tool").put("name", JSON_TOOL);
      return;
    }
    ObjectNode choice = choice(request.get("tool_choice"));
    String forced = choice == null ? "" : choice.path("type").asText();
    if (unforced && (forced.equals("any") || forced.equals("tool"))) {
      throw new InvalidRequestException("tool_choice: " + (forced.equals("any") ? "required" : "a named function")
          + " is not supported by this route's model, " + Json.safe(model) + ", which refuses forced tool use "
          + "(Anthropic allows only auto and none there); send auto, and name the tool in the prompt");
    }
    JsonNode parallel = request.get("parallel_tool_calls");
    if (parallel != null && !parallel.isNull() && !parallel.isBoolean()) {
      throw new InvalidRequestException("parallel_tool_calls: expected a boolean");
    }
    if (tools.isEmpty()) {
      if (choice != null && !"none".equals(choice.path("type").asText())) {
        throw new InvalidRequestException("tool_choice: requires tools");
      }
      return; // no tools: tool_choice none and parallel_tool_calls change nothing
    }
    body.set("tools", tools);
    if (choice != null && "tool".equals(choice.path("type").asText())) {
      String name = choice.path("name").asText();
      boolean known = false;
      for (JsonNode tool : tools) {
        known |= tool.path("name").asText().equals(name);
      }
      if (!known) {
        throw new InvalidRequestException("tool_choice.function.name: not one of the request's tools");
      }
    }
    boolean serial = parallel != null && parallel.isBoolean() && !parallel.booleanValue();
    if (serial && (choice == null || !"none".equals(choice.path("type").asText()))) {
      choice = choice == null ? Json.NODES.objectNode().put("type", "auto") : choice;
      choice.put("disable_parallel_tool_use", true);
    }
    if (choice != null) {
      body.set("tool_choice", choice);
    }
  }

  /** OpenAI {@code tools} (functions only) as Anthropic's; empty when absent. */
  private static ArrayNode tools(String model, JsonNode tools) throws InvalidRequestException {
    ArrayNode out = Json.NODES.arrayNode();
    if (tools == null || tools.isNull()) {
      return out;
    }
    if (!tools.isArray()) {
      throw new InvalidRequestException("tools: expected an array");
    }
    for (int i = 0; i < tools.size(); i++) {
      String where = "tools[" + i + "]";
      JsonNode tool = tools.get(i);
      if (!"function".equals(tool.path("type").asText())) {
        throw new InvalidRequestException(where + ".type: expected function on an anthropic route");
      }
      JsonNode function = tool.path("function");
      ObjectNode t = out.addObject();
      t.put("name", nonEmpty(function.get("name"), where + ".function.name"));
      if (JSON_TOOL.equals(t.path("name").asText())) {
        throw new InvalidRequestException(where + ".function.name: " + JSON_TOOL + " is reserved on an anthropic route");
      }
      JsonNode description = function.get("description");
      if (description != null && !description.isNull()) {
        if (!description.isTextual()) {
          throw new InvalidRequestException(where + ".function.description: expected a string");
        }
        t.set("description", description);
      }
      JsonNode parameters = function.get("parameters");
      if (parameters != null && !parameters.isNull() && !parameters.isObject()) {
        throw new InvalidRequestException(where + ".function.parameters: expected a JSON Schema object");
      }
      // OpenAI lets a function take no parameters; Anthropic needs a schema
      t.set("input_schema", parameters != null && parameters.isObject()
          ? parameters
          : Json.NODES.objectNode().put("type", "object").set("properties", Json.NODES.objectNode()));
      if (strict(model, function.get("strict"), where + ".function.strict")) {
        t.put("strict", true);
      }
    }
    return out;
  }

  /**
   * Whether the caller asks for OpenAI's strict mode, which guarantees the schema. Anthropic
   * guarantees it too, with strict tool use, on the models {@link AnthropicModels} names; on any
   * other the schema guides the model but guarantees nothing, so {@code strict: true} is refused
   * rather than quietly weakened.
   */
  private static boolean strict(String model, JsonNode strict, String where) throws InvalidRequestException {
    if (strict == null || strict.isNull()) {
      return false;
    }
    if (!strict.isBoolean()) {
      throw new InvalidRequestException(where + ": expected a boolean");
    }
    if (strict.booleanValue() && !AnthropicModels.structuredOutputs(model)) {
      throw new InvalidRequestException(where + ": true is not supported by this route's model, " + Json.safe(model)
          + ", which guarantees no schema (Anthropic's structured outputs are on "
          + AnthropicModels.STRUCTURED_OUTPUTS_NAMES + "); send false to accept that");
    }
    return strict.booleanValue();
  }

  /**
   * The forced tool that asks for a JSON answer, or null for a text answer: {@code json_object} is
   * any object, {@code json_schema} the caller's schema, which must describe an object. On a model
   * that refuses forced tools ({@code unforced}) only its {@code input_schema} is used, as {@code
   * output_config.format}'s schema; {@code json_object} is refused there, since Anthropic's
   * structured outputs take only a schema, and a schema of any object ({@code additionalProperties}
   * other than {@code false}) is one their grammar does not compile.
   */
  private static ObjectNode jsonTool(String model, JsonNode format, boolean unforced) throws InvalidRequestException {
    if (format == null || format.isNull()) {
      return null;
    }
    String type = format.path("type").asText();
    ObjectNode tool = Json.NODES.objectNode().put("name", JSON_TOOL);
    switch (type) {
      case "text" -> {
        return null;
      }
      case "json_object" -> {
        if (unforced) {
          throw new InvalidRequestException("response_format.type: json_object is not supported by this route's "
              + "model, " + Json.safe(model) + ", which refuses forced tool use and has no schema-less JSON mode; "
              + "send json_schema with the answer's schema");
        }
        tool.put("description", "Give your whole answer as this tool's input: a JSON object.");
        tool.putObject("input_schema").put("type", "object");
      }
      case "json_schema" -> {
        JsonNode spec = format.path("json_schema");
        nonEmpty(spec.get("name"), "response_format.json_schema.name");
        boolean strict = strict(model, spec.get("strict"), "response_format.json_schema.strict");
        JsonNode schema = spec.get("schema");
        if (schema == null || !schema.isObject() || !"object".equals(schema.path("type").asText())) {
          throw new InvalidRequestException("response_format.json_schema.schema: expected a JSON Schema of "
              + "type object on an anthropic route");
        }
        JsonNode about = spec.get("description");
        tool.put("description", "Give your whole answer as this tool's input, a " + spec.get("name").textValue()
            + " object." + (about != null && about.isTextual() ? " " + about.textValue() : ""));
        tool.set("input_schema", schema);
        if (strict) {
          tool.put("strict", true);
        }
      }
      default -> throw new InvalidRequestException("response_format.type: expected text, json_object or json_schema");
    }
    return tool;
  }

  /** OpenAI's {@code tool_choice} as Anthropic's; null when absent. */
  private static ObjectNode choice(JsonNode choice) throws InvalidRequestException {
    if (choice == null || choice.isNull()) {
      return null;
    }
    if (choice.isTextual()) {
      String type = switch (choice.textValue()) {
        case "auto" -> "auto";
        case "none" -> "none";
        case "required" -> "any";
        default -> throw new InvalidRequestException("tool_choice: expected auto, none, required or a function");
      };
      return Json.NODES.objectNode().put("type", type);
    }
    if (choice.isObject() && "function".equals(choice.path("type").asText())) {
      return Json.NODES.objectNode().put("type", "tool")
          .put("name", nonEmpty(choice.path("function").get("name"), "tool_choice.function.name"));
    }
    throw new InvalidRequestException("tool_choice: expected auto, none, required or a function");
  }

  /**
   * An assistant turn's {@code tool_calls} as {@code tool_use} blocks after its text: the {@code
   * arguments} string is parsed, Anthropic takes the input as an object.
   */
  static void calls(JsonNode message, String where, String role, ArrayNode blocks) throws InvalidRequestException {
    JsonNode calls = message.get("tool_calls");
    if (calls == null || calls.isNull()) {
      return;
    }
    if (!role.equals("assistant")) {
      throw new InvalidRequestException(where + ".tool_calls: only in assistant messages");
    }
    if (!calls.isArray()) {
      throw new InvalidRequestException(where + ".tool_calls: expected an array");
    }
    for (int c = 0; c < calls.size(); c++) {
      String at = where + ".tool_calls[" + c + "]";
      JsonNode call = calls.get(c);
      if (!"function".equals(call.path("type").asText("function"))) {
        throw new InvalidRequestException(at + ".type: expected function");
      }
      ObjectNode block = blocks.addObject();
      block.put("type", "tool_use");
      block.put("id", nonEmpty(call.get("id"), at + ".id"));
      JsonNode function = call.path("function");
      block.put("name", nonEmpty(function.get("name"), at + ".function.name"));
      block.set("input", arguments(function.get("arguments"), at + ".function.arguments"));
    }
  }

  /** A {@code tool} message as a {@code tool_result} block answering its call. */
  static void result(JsonNode message, String where, ArrayNode blocks) throws InvalidRequestException {
    JsonNode content = message.get("content");
    if (content != null && !content.isNull() && !content.isTextual()) {
      if (!content.isArray()) {
        throw new InvalidRequestException(where + ".content: expected a string or an array of text parts");
      }
      for (JsonNode part : content) {
        if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
          throw new InvalidRequestException(where + ".content: only text parts are allowed in a tool message");
        }
      }
    }
    ObjectNode block = blocks.addObject();
    block.put("type", "tool_result");
    block.put("tool_use_id", nonEmpty(message.get("tool_call_id"), where + ".tool_call_id"));
    String text = ChatMessages.text(content);
    if (!text.isEmpty()) {
      block.put("content", text);
    }
  }

  /** A name or an id: a non-empty string. */
  private static String nonEmpty(JsonNode value, String where) throws InvalidRequestException {
    if (value == null || !value.isTextual() || value.textValue().isEmpty()) {
      throw new InvalidRequestException(where + ": expected a non-empty string");
    }
    return value.textValue();
  }

  /** The arguments string as the object Anthropic takes; an empty string is no arguments. */
  private static ObjectNode arguments(JsonNode arguments, String where) throws InvalidRequestException {
    if (arguments == null || arguments.isNull() || arguments.isTextual() && arguments.textValue().isBlank()) {
      return Json.NODES.objectNode();
    }
    if (!arguments.isTextual()) {
      throw new InvalidRequestException(where + ": expected a string of JSON");
    }
    JsonNode parsed;
    try {
      parsed = ARGUMENTS.readTree(arguments.textValue());
    } catch (JsonProcessingException e) {
      parsed = null; // the parser's message quotes the input: never echoed
    }
    if (!(parsed instanceof ObjectNode object)) {
      throw new InvalidRequestException(where + ": expected a JSON object");
    }
    return object;
  }
}
