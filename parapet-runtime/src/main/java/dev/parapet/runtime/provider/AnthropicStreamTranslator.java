package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns an Anthropic Messages stream (https://docs.anthropic.com/en/api/messages-streaming) into
 * OpenAI {@code chat.completion.chunk} payloads:
 *
 * <ul>
 *   <li>{@code message_start}: model and input usage; the first chunk, {@code delta: {role:
 *       "assistant", content: ""}};
 *   <li>{@code content_block_delta} of type {@code text_delta}: a chunk with {@code delta.content};
 *       other deltas (thinking, citations, tool input) are not text and are skipped;
 *   <li>{@code message_delta}: the finish chunk from {@code stop_reason}; its {@code usage} is
 *       cumulative;
 *   <li>{@code message_stop}: the usage chunk (if the caller asked), then {@code [DONE]};
 *   <li>{@code ping}, {@code content_block_start/stop} and event types added later are ignored,
 *       as the streaming doc asks of clients;
 *   <li>{@code error} (e.g. {@code overloaded_error} mid-stream) ends the stream as an upstream
 *       error.
 * </ul>
 *
 * The event's type is read from the JSON {@code type}, which Anthropic always mirrors in the SSE
 * {@code event:} field.
 */
final class AnthropicStreamTranslator implements StreamTranslator {
  private static final String WHAT = "anthropic stream";

  private final Clock clock;
  private final boolean callerWantsUsage;
  private OpenAiChunks chunks;
  private Optional<String> model = Optional.empty();
  private long inputTokens;
  private long cacheCreationTokens;
  private long cacheReadTokens;
  private long outputTokens;
  private boolean usageSeen;
  private boolean finishSent;
  private boolean finished;

  AnthropicStreamTranslator(Clock clock, boolean callerWantsUsage) {
    this.clock = clock;
    this.callerWantsUsage = callerWantsUsage;
  }

  @Override
  public List<StreamChunk> onEvent(SseEvent event) throws ProviderProtocolException {
    if (finished) {
      return List.of();
    }
    if (event.event().filter("error"::equals).isPresent()) {
      throw new ProviderProtocolException(WHAT + ": provider sent an error event");
    }
    if (event.data().isBlank()) {
      return List.of();
    }
    ObjectNode json = Json.parseObject(event.data(), WHAT + " event");
    String type = json.path("type").asText("");
    return switch (type) {
      case "message_start" -> messageStart(json);
      case "content_block_delta" -> contentDelta(json);
      case "message_delta" -> messageDelta(json);
      case "message_stop" -> messageStop();
      case "error" -> throw new ProviderProtocolException(WHAT + ": provider sent an error event");
      case "" -> throw new ProviderProtocolException(WHAT + " event: type missing");
      default -> List.of(); // ping, content_block_start/stop, future event types
    };
  }

  private List<StreamChunk> messageStart(ObjectNode json) throws ProviderProtocolException {
    if (chunks != null) {
      throw new ProviderProtocolException(WHAT + ": a second message_start");
    }
    JsonNode message = json.get("message");
    if (message == null || !message.isObject()) {
      throw new ProviderProtocolException(WHAT + ": message_start without a message");
    }
    model = Json.text(message, "model");
    String id = "chatcmpl-" + Json.text(message, "id").orElse("anthropic");
    chunks = new OpenAiChunks(id, clock.instant().getEpochSecond(), model.orElse(""));
    readUsage(message.get("usage"), "message_start");
    return List.of(chunks.role());
  }

  private List<StreamChunk> contentDelta(ObjectNode json) throws ProviderProtocolException {
    requireStarted("content_block_delta");
    JsonNode delta = json.path("delta");
    if (!"text_delta".equals(delta.path("type").asText())) {
      return List.of();
    }
    JsonNode text = delta.get("text");
    if (text == null || !text.isTextual()) {
      throw new ProviderProtocolException(WHAT + ": text_delta without text");
    }
    if (text.asText().isEmpty()) {
      return List.of();
    }
    return List.of(chunks.content(text.asText()));
  }

  private List<StreamChunk> messageDelta(ObjectNode json) throws ProviderProtocolException {
    requireStarted("message_delta");
    readUsage(json.get("usage"), "message_delta");
    JsonNode stopReason = json.path("delta").get("stop_reason");
    if (stopReason == null || !stopReason.isTextual() || finishSent) {
      return List.of();
    }
    finishSent = true;
    return List.of(chunks.finish(AnthropicAdapter.finishReason(stopReason.asText())));
  }

  private List<StreamChunk> messageStop() throws ProviderProtocolException {
    requireStarted("message_stop");
    List<StreamChunk> out = new ArrayList<>(3);
    if (!finishSent) {
      finishSent = true;
      out.add(chunks.finish("stop"));
    }
    if (callerWantsUsage) {
      out.add(chunks.usage(currentUsage()));
    }
    out.add(StreamChunk.DONE);
    finished = true;
    return out;
  }

  private void requireStarted(String type) throws ProviderProtocolException {
    if (chunks == null) {
      throw new ProviderProtocolException(WHAT + ": " + type + " before message_start");
    }
  }

  /** Usage fields are cumulative: each one reported replaces the previous value. */
  private void readUsage(JsonNode usage, String where) throws ProviderProtocolException {
    if (usage == null || usage.isNull()) {
      return;
    }
    if (!usage.isObject()) {
      throw new ProviderProtocolException(WHAT + "." + where + ": usage is not an object");
    }
    String what = WHAT + "." + where + ".usage";
    Optional<Long> v;
    if ((v = Json.count(usage, "input_tokens", what)).isPresent()) {
      inputTokens = v.get();
      usageSeen = true;
    }
    if ((v = Json.count(usage, "cache_creation_input_tokens", what)).isPresent()) {
      cacheCreationTokens = v.get();
    }
    if ((v = Json.count(usage, "cache_read_input_tokens", what)).isPresent()) {
      cacheReadTokens = v.get();
    }
    if ((v = Json.count(usage, "output_tokens", what)).isPresent()) {
      outputTokens = v.get();
      usageSeen = true;
    }
  }

  private Usage currentUsage() {
    return new Usage(inputTokens + cacheCreationTokens + cacheReadTokens, outputTokens);
  }

  @Override
  public boolean finished() {
    return finished;
  }

  @Override
  public Optional<String> reportedModel() {
    return model;
  }

  @Override
  public Optional<Usage> usage() {
    return usageSeen ? Optional.of(currentUsage()) : Optional.empty();
  }

  /** Anthropic has no system fingerprint. */
  @Override
  public Optional<String> systemFingerprint() {
    return Optional.empty();
  }
}
