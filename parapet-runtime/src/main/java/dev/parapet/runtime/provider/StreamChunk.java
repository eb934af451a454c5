package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * One {@code data:} payload of an OpenAI-format stream on its way to the caller: the exact text
 * the caller receives and what the gateway read from it when it was parsed (or built), so that
 * the answer-side policies never parse it a second time.
 *
 * @param json the payload as sent (a provider's own bytes when passed through unchanged); empty
 *     for a {@link #hidden} chunk, which sends nothing
 * @param summary what the drift lock, settlement and stream guard need from the chunk;
 *     {@link ChunkSummary#NONE} for {@code [DONE]}
 */
public record StreamChunk(String json, ChunkSummary summary) {
  /** The stream's terminal payload. */
  public static final StreamChunk DONE = new StreamChunk(SseWriter.DONE, ChunkSummary.NONE);

  public StreamChunk {
    Objects.requireNonNull(json, "json");
    Objects.requireNonNull(summary, "summary");
  }

  /** A chunk Parapet built itself: the payload is its compact serialization. */
  static StreamChunk of(JsonNode chunk, ChunkSummary summary) {
    return new StreamChunk(Json.write(chunk), summary);
  }

  /**
   * A chunk that sends the caller nothing and only tells the policies about billed output the
   * caller never receives ({@link ChunkSummary.Choice#hiddenText}).
   */
  static StreamChunk hidden(ChunkSummary summary) {
    return new StreamChunk("", summary);
  }

  /**
   * A hidden chunk telling the policies that the answer carries billed output no count can read
   * (Anthropic's {@code redacted_thinking}, encrypted): a settlement without usage charges the
   * worst case. Sends nothing.
   */
  public static final StreamChunk UNCOUNTED_OUTPUT = new StreamChunk("", ChunkSummary.NONE);

  /** Whether this is {@link #UNCOUNTED_OUTPUT}. */
  public boolean isUncountedOutput() {
    return this == UNCOUNTED_OUTPUT;
  }

  /** Whether this chunk sends nothing ({@link #hidden}, {@link #UNCOUNTED_OUTPUT}). */
  public boolean isHidden() {
    return json.isEmpty();
  }

  /** Whether this is {@link #DONE}: every other chunk is a JSON object (read or built), or hidden. */
  public boolean isDone() {
    return this == DONE;
  }
}
