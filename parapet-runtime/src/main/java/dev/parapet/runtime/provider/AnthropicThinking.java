package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * OpenAI's {@code reasoning_effort} as Anthropic's thinking, for {@link AnthropicRequests}: {@code
 * none} asks for no thinking ({@code thinking: {type: "disabled"}} on the models that think unasked
 * and take it, refused on those whose thinking cannot be turned off: see {@link #none}). On a model that still takes a budget
 * (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking), {@code minimal} and
 * {@code low} think with a budget of 1,024 tokens (Anthropic's least), {@code medium} 2,048, {@code
 * high} 4,096. On a model that refuses a budget and thinks only adaptively ({@link
 * AnthropicModels#adaptiveThinkingOnly}: Claude Opus 4.7 and later, Sonnet 5 and 5.5, Haiku 5.5,
 * Fable and Mythos 5),
 * the call asks for {@code thinking: {type: "adaptive"}} with the effort as {@code
 * output_config.effort} (https://platform.claude.com/docs/en/build-with-claude/effort): {@code
 * minimal} and {@code low} as {@code low}, {@code medium}, {@code high} and {@code xhigh} as
 * themselves; {@code xhigh}, which Anthropic has only with adaptive thinking, is refused elsewhere.
 *
 * <p>What Anthropic refuses with thinking is refused here, before a hold and a round trip, by
 * name: a budget not below {@code max_tokens} (thinking is part of the output, so the cap, at most
 * the route's {@code max_tokens_out}, must leave room for an answer), a {@code temperature} other
 * than 1, a {@code top_p} below 0.95, a forced tool ({@code tool_choice} {@code required} or a named
 * function, and JSON answers, which are a forced tool here), and a conversation whose last
 * assistant turn called tools: Anthropic then requires that turn's thinking block back, which the
 * OpenAI message shape cannot carry. The answer's thinking is not sent to the caller (as OpenAI's
 * reasoning models keep theirs), but it is billed output: a stream counts it toward {@code
 * max_tokens_out} (see {@link AnthropicStreamTranslator}); and as Claude 4 models stream only a
 * summary of their thinking (the newest, by default, not even that) and bill all of it, a call that
 * thinks and ends short of a complete answer's usage is settled at its worst case. Adaptive thinking
 * has no budget: the call's {@code max_tokens} bounds thinking and answer together.
 */
final class AnthropicThinking {
  private static final Map<String, Integer> BUDGETS =
      Map.of("minimal", 1_024, "low", 1_024, "medium", 2_048, "high", 4_096);

  /** OpenAI's efforts as Anthropic's, on a model that thinks only adaptively. */
  private static final Map<String, String> EFFORTS =
      Map.of("minimal", "low", "low", "low", "medium", "medium", "high", "high", "xhigh", "xhigh");

  private AnthropicThinking() {}

  /** Adds {@code thinking} to {@code body} when {@code request} asks for reasoning; after the rest is translated. */
  static void translate(String model, ObjectNode request, ObjectNode body) throws InvalidRequestException {
    if (!ChatMessages.asksForReasoning(request)) {
      if ("none".equals(request.path("reasoning_effort").textValue())) {
        none(model, body);
      }
      return;
    }
    JsonNode effort = request.get("reasoning_effort");
    boolean adaptive = AnthropicModels.adaptiveThinkingOnly(model);
    String level = effort.isTextual() ? EFFORTS.get(effort.textValue()) : null;
    if (level == null) {
      throw new InvalidRequestException("reasoning_effort: expected none, minimal, low, medium, high or xhigh");
    }
    Integer budget = adaptive ? null : BUDGETS.get(effort.textValue());
    if (!adaptive && budget == null) {
      throw new InvalidRequestException("reasoning_effort: " + effort.textValue() + " is only for a model with "
          + "adaptive thinking (Claude Opus 4.7 and later, Sonnet 5 and 5.5, Haiku 5.5, Fable and Mythos 5); on " + model
          + " expected none, minimal, low, medium or high");
    }
    int maxTokens = body.path("max_tokens").asInt();
    if (budget != null && budget >= maxTokens) {
      throw new InvalidRequestException("reasoning_effort: " + effort.textValue() + " thinks with a budget of "
          + budget + " tokens on an anthropic route, which must be below max_tokens (" + maxTokens
          + " here, at most the route's max_tokens_out): ask for more max_tokens or less effort");
    }
    JsonNode temperature = body.get("temperature");
    if (temperature != null && temperature.asDouble() != 1) {
      throw new InvalidRequestException("temperature: only 1 with reasoning_effort on an anthropic route");
    }
    JsonNode topP = body.get("top_p");
    if (topP != null && topP.asDouble() < 0.95) {
      throw new InvalidRequestException("top_p: 0.95 or more with reasoning_effort on an anthropic route");
    }
    String choice = body.path("tool_choice").path("type").asText();
    if (choice.equals("any") || choice.equals("tool")) {
      throw new InvalidRequestException(request.path("response_format").isObject()
          && !"text".equals(request.path("response_format").path("type").asText())
          ? "response_format: a JSON answer cannot be combined with reasoning_effort on an anthropic route "
              + "(it is asked for as a forced tool call, which thinking does not allow)"
          : "tool_choice: a forced tool cannot be combined with reasoning_effort on an anthropic route");
    }
    if (lastAssistantCalledTools(request.path("messages"))) {
      throw new InvalidRequestException("reasoning_effort: the last assistant turn called tools, and Anthropic "
          + "then requires that turn's thinking back, which an OpenAI message cannot carry; continue "
          + "this tool loop without reasoning_effort");
    }
    if (adaptive) {
      body.putObject("thinking").put("type", "adaptive");
      // beside a JSON answer's output_config.format, on the models that refuse forced tools
      JsonNode config = body.get("output_config");
      (config instanceof ObjectNode o ? o : body.putObject("output_config")).put("effort", level);
    } else {
      body.putObject("thinking").put("type", "enabled").put("budget_tokens", budget);
    }
  }

  /**
   * {@code reasoning_effort: "none"}: nothing on a model that thinks only when asked; {@code
   * thinking: {type: "disabled"}} where a model that thinks unasked takes it; refused where thinking
   * cannot be turned off, since the call would think and bill it anyway; {@code thinking: {type:
   * "between_tools"}} on Claude Sonnet 5.5, which refuses {@code disabled} and has that as its
   * lowest setting (a call with tools may still think briefly between them: billed, and settled as
   * thinking). Elsewhere (Mythos Preview, a model Parapet does not know) nothing is sent.
   */
  private static void none(String model, ObjectNode body) throws InvalidRequestException {
    if (AnthropicModels.thinkingAlwaysOn(model)) {
      throw new InvalidRequestException("reasoning_effort: none is not possible on " + model
          + ", whose thinking cannot be turned off (it would think, billed as output, anyway); leave "
          + "reasoning_effort out or ask for low");
    }
    if (AnthropicModels.thinkingCanBeDisabled(model)) {
      body.putObject("thinking").put("type", "disabled");
    } else if (AnthropicModels.thinkingOffIsBetweenTools(model)) {
      body.putObject("thinking").put("type", "between_tools");
    }
  }

  private static boolean lastAssistantCalledTools(JsonNode messages) {
    for (int i = messages.size() - 1; i >= 0; i--) {
      JsonNode message = messages.get(i);
      if ("assistant".equals(message.path("role").asText())) {
        JsonNode calls = message.get("tool_calls");
        return calls != null && calls.isArray() && !calls.isEmpty();
      }
    }
    return false;
  }
}
