package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.Route;
import dev.parapet.core.seal.SecretValue;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The OpenAI Chat Completions wire format (https://platform.openai.com/docs/api-reference/chat),
 * spoken by OpenAI itself and by OpenAI-compatible servers (vLLM, Ollama, llama.cpp). The caller's
 * request is already in this shape, so the request goes up as given and the answer comes back as
 * received; only {@code model} is pinned to the route's and {@code stream_options.include_usage}
 * forced on, so that every streamed call can be settled from the provider's own count (a local
 * server that ignores the option simply reports no usage; the budget then settles on the output
 * tokens the stream guard counted: text, refusals and tool-call arguments).
 */
public abstract class OpenAiCompatibleAdapter implements ProviderAdapter {
  static final String USER_AGENT = "parapet/0.1";

  @Override
  public UpstreamCall toUpstream(Route route, ObjectNode request, Optional<SecretValue> providerKey)
      throws InvalidRequestException {
    checkServiceTier(request.get("service_tier"));
    if (route.policy().redaction().scansAnswers()) {
      checkAnswerIsScannable(request);
    }
    URI uri = UpstreamUris.join(UpstreamUris.base(route), "chat/completions");
    boolean stream = Providers.isStreaming(request);
    String pinned = route.provider().model();
    ObjectNode body = request;
    if (!pinned.equals(request.path("model").asText(null))) {
      // The pipeline pins the model; this keeps a route on its model even if a path forgot to.
      body = request.deepCopy();
      body.put("model", pinned);
    }
    if (stream) {
      body = body == request ? request.deepCopy() : body;
      JsonNode options = body.get("stream_options");
      if (options != null && !options.isNull() && !options.isObject()) {
        throw new InvalidRequestException("stream_options: expected an object");
      }
      ObjectNode streamOptions = options instanceof ObjectNode o ? o : body.putObject("stream_options");
      streamOptions.put("include_usage", true);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("content-type", "application/json");
    headers.put("accept", stream ? "text/event-stream" : "application/json");
    headers.put("user-agent", USER_AGENT);
    providerKey.filter(k -> !k.isEmpty())
        .ifPresent(k -> headers.put("authorization", "Bearer " + k.reveal()));
    return UpstreamCall.json(uri, headers, body);
  }

  /**
   * Service tiers billed at most at the route's price ({@code flex} is billed below it). A tier
   * billed above it ({@code priority}, and anything we do not know) is refused: a caller must not
   * be able to make a call cost more than the price its route's budget and telemetry use.
   */
  static final Set<String> TIERS = Set.of("auto", "default", "flex");

  private static void checkServiceTier(JsonNode tier) throws InvalidRequestException {
    if (tier != null && !tier.isNull() && !(tier.isTextual() && TIERS.contains(tier.textValue()))) {
      throw new InvalidRequestException("service_tier: expected auto, default or flex (a tier billed above "
          + "the route's price, such as priority, is not allowed)");
    }
  }

  /**
   * On a route that scans answers ({@code scan_output}), the answer must carry its text only where
   * the guard reads it (content, refusal, tool-call arguments). Log probabilities repeat the
   * answer token by token ({@code logprobs.content[].token}, {@code bytes}, {@code top_logprobs}):
   * they would take a match past the scan, so asking for them there is refused (fail closed)
   * rather than answered unscanned. So is llama.cpp's own {@code n_probs}, which its server reads
   * before {@code logprobs} and answers with the same per-token {@code logprobs} (0 asks for none).
   * (An audio answer is refused on every route, by the route stage: it is priced above a route's
   * text rate.)
   */
  private static void checkAnswerIsScannable(ObjectNode request) throws InvalidRequestException {
    JsonNode logprobs = request.get("logprobs");
    JsonNode top = request.get("top_logprobs");
    JsonNode probs = request.get("n_probs");
    if (logprobs != null && !logprobs.isNull() && !(logprobs.isBoolean() && !logprobs.booleanValue())
        || top != null && !top.isNull()
        || probs != null && !probs.isNull() && !(probs.isIntegralNumber() && probs.bigIntegerValue().signum() == 0)) {
      throw new InvalidRequestException("logprobs: not allowed on a route that scans answers (scan_output): "
          + "the tokens would carry the answer past the scan");
    }
  }

  /** The body is already OpenAI shape: passed through, with what the policies need read off it. */
  @Override
  public Translated translateResponse(Route route, ObjectNode upstreamBody)
      throws ProviderProtocolException {
    String what = type().yamlName() + " response";
    JsonNode error = upstreamBody.get("error");
    if (error != null && !error.isNull()) { // some local servers answer their errors with a 200
      throw new ProviderErrorException(what, error);
    }
    JsonNode choices = upstreamBody.get("choices");
    if (choices == null || !choices.isArray()) {
      throw new ProviderProtocolException(what + ": choices missing or not an array");
    }
    return new Translated(
        upstreamBody,
        Json.text(upstreamBody, "model"),
        readUsage(upstreamBody, what),
        Json.text(upstreamBody, "system_fingerprint"));
  }

  @Override
  public StreamTranslator newStreamTranslator(Route route, boolean callerWantsUsage) {
    return new OpenAiStreamTranslator(type().yamlName() + " stream", callerWantsUsage);
  }

  /** OpenAI's {@code usage} object, if present; a malformed one is a protocol error. */
  static Optional<Usage> readUsage(JsonNode body, String what) throws ProviderProtocolException {
    JsonNode usage = body.get("usage");
    if (usage == null || usage.isNull()) {
      return Optional.empty();
    }
    if (!usage.isObject()) {
      throw new ProviderProtocolException(what + ": usage is not an object");
    }
    Optional<Long> prompt = Json.count(usage, "prompt_tokens", what + ".usage");
    Optional<Long> completion = Json.count(usage, "completion_tokens", what + ".usage");
    if (prompt.isEmpty() && completion.isEmpty()) {
      return Optional.empty();
    }
    JsonNode details = usage.get("prompt_tokens_details");
    long cached = details != null && details.isObject()
        ? Json.count(details, "cached_tokens", what + ".usage.prompt_tokens_details").orElse(0L) : 0L;
    long promptTokens = prompt.orElse(0L);
    // more cached than prompt is the provider's mistake: the cache cannot make the call cheaper than that
    return Optional.of(new Usage(promptTokens, completion.orElse(0L), Math.min(cached, promptTokens)));
  }
}
