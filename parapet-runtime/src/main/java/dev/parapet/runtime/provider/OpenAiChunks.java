package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Writes the {@code chat.completion.chunk} payloads of one OpenAI stream
 * (https://platform.openai.com/docs/api-reference/chat-streaming/streaming): every chunk of a
 * stream shares one {@code id}, {@code created} and {@code model}. Used where Parapet produces a
 * stream itself (Anthropic translation, echo). Output is compact single-line JSON.
 */
final class OpenAiChunks {
  private final String id;
  private final long created;
  private final String model;

  OpenAiChunks(String id, long created, String model) {
    this.id = Objects.requireNonNull(id, "id");
    this.created = created;
    this.model = Objects.requireNonNull(model, "model");
  }

  /** The first chunk: {@code delta: {role: assistant, content: ""}}. */
  StreamChunk role() {
    ObjectNode delta = Json.NODES.objectNode();
    delta.put("role", "assistant");
    delta.put("content", "");
    return choiceChunk(delta, null, Optional.of(""), "");
  }

  StreamChunk content(String text) {
    ObjectNode delta = Json.NODES.objectNode();
    delta.put("content", text);
    return choiceChunk(delta, null, Optional.of(text), "");
  }

  /** Billed output the caller does not receive (thinking): nothing is sent, the policies count it. */
  StreamChunk hidden(String text) {
    return StreamChunk.hidden(summary(Optional.empty(), 1,
        List.of(new ChunkSummary.Choice(0, Optional.empty(), false, "", text))));
  }

  /**
   * The chunk that opens tool call {@code index} of the answer: its id and name, and empty
   * arguments, which {@link #toolArguments} chunks then extend (as OpenAI streams them). The name
   * is the model's billed output and reaches the caller: counted, and scanned under {@code
   * scan_output}, as the chunk reader reads it.
   */
  StreamChunk toolCallStart(int index, String callId, String name) {
    ObjectNode call = Json.NODES.objectNode().put("index", index);
    call.setAll(toolCall(callId, name, ""));
    return toolCallChunk(call, name, List.of());
  }

  /** More of tool call {@code index}'s arguments. */
  StreamChunk toolArguments(int index, String arguments) {
    ObjectNode call = Json.NODES.objectNode();
    call.put("index", index);
    call.putObject("function").put("arguments", arguments);
    return toolCallChunk(call, arguments, List.of(new ChunkSummary.Arguments(index, arguments)));
  }

  /** A chunk of one tool call, {@code billed} its name or arguments, of which {@code pieces} are arguments. */
  private StreamChunk toolCallChunk(ObjectNode call, String billed, List<ChunkSummary.Arguments> pieces) {
    ObjectNode delta = Json.NODES.objectNode();
    delta.putArray("tool_calls").add(call);
    return choiceChunk(delta, null, Optional.empty(), billed, pieces);
  }

  /** One OpenAI {@code tool_calls} entry: {@code {id, type: function, function: {name, arguments}}}. */
  static ObjectNode toolCall(String callId, String name, String arguments) {
    ObjectNode call = Json.NODES.objectNode();
    call.put("id", callId);
    call.put("type", "function");
    call.putObject("function").put("name", name).put("arguments", arguments);
    return call;
  }

  /** The chunk carrying the finish reason, with an empty delta as OpenAI sends it. */
  StreamChunk finish(String finishReason) {
    return choiceChunk(Json.NODES.objectNode(), finishReason, Optional.empty(), "");
  }

  /** The usage-only chunk OpenAI sends for {@code stream_options.include_usage}. */
  StreamChunk usage(Usage usage) {
    ObjectNode chunk = base();
    chunk.putArray("choices");
    chunk.set("usage", usageNode(usage));
    return StreamChunk.of(chunk, summary(Optional.of(usage), 0, List.of()));
  }

  /**
   * One choice's chunk; {@code content} and {@code otherText} as {@link ChunkSummary.Choice} reads
   * them (these chunks carry no text in fields nobody reads).
   */
  private StreamChunk choiceChunk(ObjectNode delta, String finishReason, Optional<String> content, String otherText) {
    return choiceChunk(delta, finishReason, content, otherText, List.of());
  }

  private StreamChunk choiceChunk(ObjectNode delta, String finishReason, Optional<String> content, String otherText,
      List<ChunkSummary.Arguments> arguments) {
    ObjectNode chunk = base();
    ArrayNode choices = chunk.putArray("choices");
    ObjectNode choice = choices.addObject();
    choice.put("index", 0);
    choice.set("delta", delta);
    if (finishReason == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", finishReason);
    }
    return StreamChunk.of(chunk, summary(Optional.empty(), 1,
        List.of(new ChunkSummary.Choice(0, content, finishReason != null, otherText, "", "", arguments))));
  }

  private ChunkSummary summary(Optional<Usage> usage, int choiceCount, List<ChunkSummary.Choice> choices) {
    return new ChunkSummary(Optional.of(model), Optional.empty(), usage, choiceCount, choices);
  }

  private ObjectNode base() {
    ObjectNode chunk = Json.NODES.objectNode();
    chunk.put("id", id);
    chunk.put("object", "chat.completion.chunk");
    chunk.put("created", created);
    chunk.put("model", model);
    return chunk;
  }

  /** OpenAI's {@code usage} object. */
  static ObjectNode usageNode(Usage usage) {
    ObjectNode node = Json.NODES.objectNode();
    node.put("prompt_tokens", usage.promptTokens());
    node.put("completion_tokens", usage.completionTokens());
    node.put("total_tokens", usage.totalTokens());
    return node;
  }

  /** A complete {@code chat.completion} with one assistant choice; {@code content} may be null. */
  static ObjectNode completion(
      String id, long created, String model, String content, String finishReason, Usage usage) {
    ObjectNode body = Json.NODES.objectNode();
    body.put("id", id);
    body.put("object", "chat.completion");
    body.put("created", created);
    body.put("model", model);
    ObjectNode choice = body.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message");
    message.put("role", "assistant");
    message.put("content", content);
    choice.put("finish_reason", finishReason);
    body.set("usage", usageNode(usage));
    return body;
  }
}
