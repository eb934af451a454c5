package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
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
 *   <li>{@code content_block_start} of a {@code tool_use} block: a chunk opening the next entry
 *       of {@code delta.tool_calls} (its id, name and empty arguments; the name is billed output,
 *       counted), and each {@code input_json_delta} of that block a chunk extending its {@code
 *       arguments}, as OpenAI streams a tool call; the JSON answer's forced tool ({@link
 *       AnthropicTools#JSON_TOOL}) streams its input as {@code delta.content} instead (its name, which
 *       the caller never sees, a hidden chunk: counted); a {@code thinking_delta} is billed
 *       output the caller does not receive: a {@linkplain StreamChunk#hidden hidden} chunk, so that
 *       the stream guard counts it (toward {@code max_tokens_out}, and for a settlement that never
 *       saw the final usage); other deltas (signatures, citations) are skipped; a {@code
 *       redacted_thinking} block (thinking Anthropic encrypted, billed all the same) is {@link
 *       StreamChunk#UNCOUNTED_OUTPUT}: a settlement without the final usage charges the worst case;
 *   <li>{@code message_delta}: the finish chunk from {@code stop_reason}; its {@code usage} is
 *       cumulative;
 *   <li>{@code message_stop}: the usage chunk (if the caller asked), then {@code [DONE]};
 *   <li>{@code content_block_stop} of a {@code tool_use} block that streamed no input: its input,
 *       {@code {}} (an empty {@code arguments} is not JSON);
 *   <li>{@code ping}, other {@code content_block_start}s and {@code content_block_stop}s, and event
 *       types added later are ignored,
 *       as the streaming doc asks of clients;
 *   <li>{@code error} (e.g. {@code overloaded_error} mid-stream) ends the stream as an upstream
 *       error: a {@link ProviderErrorException} naming its {@code error.type} (an error event whose
 *       data is no JSON object is a broken stream, a plain {@link ProviderProtocolException}).
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
  /** {@link #toolCallOfBlock}'s mark for the block carrying a JSON answer ({@code response_format}). */
  private static final int JSON_ANSWER = -2;

  /**
   * Tool call index (in OpenAI's numbering) by Anthropic content block index; {@link #JSON_ANSWER}
   * for the JSON answer's block; -1 for other blocks.
   */
  private int[] toolCallOfBlock = new int[0];
  /** Whether a tool_use block (by content block index) has streamed any of its input. */
  private boolean[] inputOfBlock = new boolean[0];
  private int toolCalls;

  AnthropicStreamTranslator(Clock clock, boolean callerWantsUsage) {
    this.clock = clock;
    this.callerWantsUsage = callerWantsUsage;
  }

  @Override
  public List<StreamChunk> onEvent(SseEvent event) throws ProviderProtocolException {
    if (finished) {
      return List.of();
    }
    boolean errorEvent = event.event().filter("error"::equals).isPresent();
    if (event.data().isBlank() && !errorEvent) {
      return List.of();
    }
    ObjectNode json = Json.parseObject(event.data(), WHAT + " event");
    String type = json.path("type").asText("");
    if (errorEvent || type.equals("error")) {
      throw new ProviderErrorException(WHAT, json.get("error"));
    }
    return switch (type) {
      case "message_start" -> messageStart(json);
      case "content_block_start" -> contentStart(json);
      case "content_block_delta" -> contentDelta(json);
      case "message_delta" -> messageDelta(json);
      case "content_block_stop" -> contentStop(json);
      case "message_stop" -> messageStop();
      case "" -> throw new ProviderProtocolException(WHAT + " event: type missing");
      default -> List.of(); // ping, future event types
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

  /** Anthropic numbers its answer's content blocks from 0; a stream has at most this many. */
  private static final int MAX_BLOCKS = 4096;

  private List<StreamChunk> contentStart(ObjectNode json) throws ProviderProtocolException {
    requireStarted("content_block_start");
    JsonNode block = json.path("content_block");
    if ("redacted_thinking".equals(block.path("type").asText())) {
      return List.of(StreamChunk.UNCOUNTED_OUTPUT); // billed thinking, encrypted: it cannot be counted
    }
    if (!"tool_use".equals(block.path("type").asText())) {
      return List.of();
    }
    int index = blockIndex(json, "content_block_start");
    JsonNode id = block.get("id");
    JsonNode name = block.get("name");
    if (id == null || !id.isTextual() || name == null || !name.isTextual()) {
      throw new ProviderProtocolException(WHAT + ": a tool_use block without a string id and name");
    }
    if (index < toolCallOfBlock.length && toolCallOfBlock[index] != -1) {
      throw new ProviderProtocolException(WHAT + ": content block " + index + " started twice");
    }
    if (index >= toolCallOfBlock.length) {
      int old = toolCallOfBlock.length;
      toolCallOfBlock = Arrays.copyOf(toolCallOfBlock, Math.max(index + 1, old * 2));
      Arrays.fill(toolCallOfBlock, old, toolCallOfBlock.length, -1);
      inputOfBlock = Arrays.copyOf(inputOfBlock, toolCallOfBlock.length);
    }
    if (AnthropicTools.JSON_TOOL.equals(name.textValue())) {
      toolCallOfBlock[index] = JSON_ANSWER; // its input is the answer's text
      return List.of(chunks.hidden(name.textValue())); // the model wrote and billed the name: counted, not sent
    }
    toolCallOfBlock[index] = toolCalls++;
    return List.of(chunks.toolCallStart(toolCallOfBlock[index], id.textValue(), name.textValue()));
  }

  private int blockIndex(ObjectNode json, String type) throws ProviderProtocolException {
    JsonNode index = json.get("index");
    if (index == null || !index.canConvertToInt() || !index.isIntegralNumber() || index.intValue() < 0
        || index.intValue() >= MAX_BLOCKS) {
      throw new ProviderProtocolException(WHAT + ": " + type + " without a block index from 0 to " + (MAX_BLOCKS - 1));
    }
    return index.intValue();
  }

  private List<StreamChunk> contentDelta(ObjectNode json) throws ProviderProtocolException {
    requireStarted("content_block_delta");
    JsonNode delta = json.path("delta");
    if ("input_json_delta".equals(delta.path("type").asText())) {
      return toolInput(json, delta);
    }
    if ("thinking_delta".equals(delta.path("type").asText())) {
      JsonNode thinking = delta.get("thinking");
      if (thinking == null || !thinking.isTextual()) {
        throw new ProviderProtocolException(WHAT + ": thinking_delta without thinking");
      }
      return thinking.textValue().isEmpty() ? List.of() : List.of(chunks.hidden(thinking.textValue()));
    }
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

  private List<StreamChunk> toolInput(ObjectNode json, JsonNode delta) throws ProviderProtocolException {
    int index = blockIndex(json, "input_json_delta");
    if (index >= toolCallOfBlock.length || toolCallOfBlock[index] == -1) {
      throw new ProviderProtocolException(WHAT + ": input_json_delta for a block that is no tool_use");
    }
    JsonNode partial = delta.get("partial_json");
    if (partial == null || !partial.isTextual()) {
      throw new ProviderProtocolException(WHAT + ": input_json_delta without partial_json");
    }
    if (partial.textValue().isEmpty()) {
      return List.of();
    }
    inputOfBlock[index] = true;
    return List.of(input(toolCallOfBlock[index], partial.textValue()));
  }

  /** More of a tool_use block's input: a tool call's arguments, or the JSON answer's text. */
  private StreamChunk input(int call, String json) {
    return call == JSON_ANSWER ? chunks.content(json) : chunks.toolArguments(call, json);
  }

  /**
   * The end of a content block. A tool_use block that streamed no input (a tool without
   * parameters: Anthropic's input is then {@code {}}) gets {@code {}} as its input here, as OpenAI
   * streams a call without arguments and as the unstreamed translation writes it: an empty {@code
   * arguments} string is not JSON, and a caller's tool loop parses it.
   */
  private List<StreamChunk> contentStop(ObjectNode json) throws ProviderProtocolException {
    requireStarted("content_block_stop");
    JsonNode index = json.get("index");
    if (index == null || !index.canConvertToInt() || index.intValue() < 0 || index.intValue() >= toolCallOfBlock.length
        || toolCallOfBlock[index.intValue()] == -1 || inputOfBlock[index.intValue()]) {
      return List.of();
    }
    inputOfBlock[index.intValue()] = true;
    return List.of(input(toolCallOfBlock[index.intValue()], "{}"));
  }

  private List<StreamChunk> messageDelta(ObjectNode json) throws ProviderProtocolException {
    requireStarted("message_delta");
    readUsage(json.get("usage"), "message_delta");
    JsonNode stopReason = json.path("delta").get("stop_reason");
    if (stopReason == null || !stopReason.isTextual() || finishSent) {
      return List.of();
    }
    finishSent = true;
    return List.of(chunks.finish(AnthropicAdapter.finishReason(stopReason.asText(), toolCalls > 0)));
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
