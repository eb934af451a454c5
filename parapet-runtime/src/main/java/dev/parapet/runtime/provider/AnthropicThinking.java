package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * OpenAI's {@code reasoning_effort} as Anthropic's extended thinking
 * (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking), for {@link
 * AnthropicRequests}: {@code none} asks for no thinking; {@code minimal} and {@code low} think with
 * a budget of 1,024 tokens (Anthropic's least), {@code medium} 2,048, {@code high} 4,096.
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
 * summary of their thinking and bill all of it, a call that thinks and ends short of a complete
 * answer's usage is settled at its worst case.
 */
final class AnthropicThinking {
  private static final Map<String, Integer> BUDGETS =
      Map.of("minimal", 1_024, "low", 1_024, "medium", 2_048, "high", 4_096);

  private AnthropicThinking() {}

  /** Adds {@code thinking} to {@code body} when {@code request} asks for reasoning; after the rest is translated. */
  static void translate(ObjectNode request, ObjectNode body) throws InvalidRequestException {
    if (!ChatMessages.asksForReasoning(request)) {
      return;
    }
    JsonNode effort = request.get("reasoning_effort");
    Integer budget = effort.isTextual() ? BUDGETS.get(effort.textValue()) : null;
    if (budget == null) {
      throw new InvalidRequestException("reasoning_effort: expected none, minimal, low, medium or high");
    }
    int maxTokens = body.path("max_tokens").asInt();
    if (budget >= maxTokens) {
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
    body.putObject("thinking").put("type", "enabled").put("budget_tokens", budget);
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
