package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import dev.parapet.core.seal.SecretValue;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code type: anthropic}: the Messages API (https://docs.anthropic.com/en/api/messages),
 * translated both ways so that callers keep speaking OpenAI Chat Completions. Request
 * translation is {@link AnthropicRequests}; streams are {@link AnthropicStreamTranslator}.
 */
public final class AnthropicAdapter implements ProviderAdapter {
  /** The API version this translation was written against (https://docs.anthropic.com/en/api/versioning). */
  static final String API_VERSION = "2023-06-01";

  private final Clock clock;

  public AnthropicAdapter() {
    this(Clock.systemUTC());
  }

  AnthropicAdapter(Clock clock) {
    this.clock = clock;
  }

  @Override
  public ProviderType type() {
    return ProviderType.ANTHROPIC;
  }

  @Override
  public UpstreamCall toUpstream(Route route, ObjectNode request, Optional<SecretValue> providerKey)
      throws InvalidRequestException {
    ObjectNode body = AnthropicRequests.translate(route.provider().model(), request);
    boolean stream = Providers.isStreaming(request);
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("content-type", "application/json");
    headers.put("accept", stream ? "text/event-stream" : "application/json");
    headers.put("anthropic-version", API_VERSION);
    headers.put("user-agent", OpenAiCompatibleAdapter.USER_AGENT);
    providerKey.filter(k -> !k.isEmpty()).ifPresent(k -> headers.put("x-api-key", k.reveal()));
    return UpstreamCall.json(UpstreamUris.join(UpstreamUris.base(route), "messages"), headers, body);
  }

  /**
   * An Anthropic {@code message} as an OpenAI {@code chat.completion}: the text blocks
   * concatenated into one assistant message, each {@code tool_use} block as a {@code tool_calls}
   * entry (its input as the {@code arguments} string; the content is null when the model only
   * called tools, as OpenAI sends it), the stop reason mapped, cache tokens counted as prompt
   * tokens (they are input the caller pays for). Other blocks (thinking) are not the answer.
   */
  @Override
  public Translated translateResponse(Route route, ObjectNode upstreamBody)
      throws ProviderProtocolException {
    String what = "anthropic response";
    if ("error".equals(upstreamBody.path("type").asText())) {
      throw new ProviderErrorException(what, upstreamBody.get("error"));
    }
    JsonNode content = upstreamBody.get("content");
    if (content == null || !content.isArray()) {
      throw new ProviderProtocolException(what + ": content missing or not an array");
    }
    StringBuilder text = new StringBuilder();
    ArrayNode toolCalls = Json.NODES.arrayNode();
    for (JsonNode block : content) {
      String type = block.path("type").asText();
      if ("text".equals(type)) {
        JsonNode t = block.get("text");
        if (t == null || !t.isTextual()) {
          throw new ProviderProtocolException(what + ": a text block without text");
        }
        text.append(t.asText());
      } else if ("tool_use".equals(type)) {
        JsonNode id = block.get("id");
        JsonNode name = block.get("name");
        JsonNode input = block.get("input");
        if (id == null || !id.isTextual() || name == null || !name.isTextual() || input == null || !input.isObject()) {
          throw new ProviderProtocolException(what + ": a tool_use block without a string id and name and an object input");
        }
        if (AnthropicTools.JSON_TOOL.equals(name.textValue())) {
          text.append(Json.write(input)); // the JSON answer response_format asked for
        } else {
          toolCalls.add(OpenAiChunks.toolCall(id.textValue(), name.textValue(), Json.write(input)));
        }
      }
    }
    Optional<String> model = Json.text(upstreamBody, "model");
    Optional<Usage> usage = usage(upstreamBody.get("usage"), what);
    String id = "chatcmpl-" + Json.text(upstreamBody, "id")
        .orElseGet(() -> UUID.randomUUID().toString().replace("-", ""));
    ObjectNode body = OpenAiChunks.completion(
        id,
        clock.instant().getEpochSecond(),
        model.orElse(route.provider().model()),
        text.isEmpty() && !toolCalls.isEmpty() ? null : text.toString(),
        finishReason(upstreamBody.path("stop_reason").asText("end_turn"), !toolCalls.isEmpty()),
        usage.orElse(Usage.ZERO));
    if (!toolCalls.isEmpty()) {
      ((ObjectNode) body.path("choices").path(0).path("message")).set("tool_calls", toolCalls);
    }
    if (usage.isEmpty()) {
      body.remove("usage");
    }
    return new Translated(body, model, usage, Optional.empty());
  }

  @Override
  public StreamTranslator newStreamTranslator(Route route, boolean callerWantsUsage) {
    return new AnthropicStreamTranslator(clock, callerWantsUsage);
  }

  /**
   * Anthropic's stop reasons (https://docs.anthropic.com/en/api/handling-stop-reasons) as OpenAI
   * finish reasons. {@code refusal} maps to {@code content_filter}, OpenAI's word for a policy
   * stop; anything newer reads as a normal stop. {@code tool_use} is {@code tool_calls} only when
   * the answer called one of the caller's tools: the forced tool of a JSON answer is not one.
   */
  static String finishReason(String stopReason, boolean calledTools) {
    return switch (stopReason) {
      case "max_tokens", "model_context_window_exceeded" -> "length"; // cut short, either way
      case "tool_use" -> calledTools ? "tool_calls" : "stop"; // only the JSON answer's tool: a stop
      case "refusal" -> "content_filter";
      default -> "stop"; // end_turn, stop_sequence, pause_turn
    };
  }

  /**
   * An Anthropic {@code usage} object: prompt tokens are {@code input_tokens} plus the cache
   * write and read tokens (Anthropic reports them apart; all are input of this call).
   */
  static Optional<Usage> usage(JsonNode usage, String what) throws ProviderProtocolException {
    if (usage == null || usage.isNull()) {
      return Optional.empty();
    }
    if (!usage.isObject()) {
      throw new ProviderProtocolException(what + ": usage is not an object");
    }
    String where = what + ".usage";
    long prompt = Json.count(usage, "input_tokens", where).orElse(0L)
        + Json.count(usage, "cache_creation_input_tokens", where).orElse(0L)
        + Json.count(usage, "cache_read_input_tokens", where).orElse(0L);
    long completion = Json.count(usage, "output_tokens", where).orElse(0L);
    return Optional.of(new Usage(prompt, completion));
  }
}
