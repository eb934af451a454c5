package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.Objects;

/**
 * One {@code data:} payload of an OpenAI-format stream on its way to the caller: the exact text
 * the caller receives and the chunk it was parsed from (or built as), so that the answer-side
 * policies read the chunk without parsing it a second time. The tree is shared: nobody may
 * change it.
 *
 * @param json the payload as sent (a provider's own bytes when passed through unchanged)
 * @param chunk the parsed {@code chat.completion.chunk}; {@link MissingNode} for {@code [DONE]}
 */
public record StreamChunk(String json, JsonNode chunk) {
  /** The stream's terminal payload. */
  public static final StreamChunk DONE = new StreamChunk(SseWriter.DONE, MissingNode.getInstance());

  public StreamChunk {
    Objects.requireNonNull(json, "json");
    Objects.requireNonNull(chunk, "chunk");
  }

  /** A chunk Parapet built itself: the payload is its compact serialization. */
  static StreamChunk of(JsonNode chunk) {
    return new StreamChunk(Json.write(chunk), chunk);
  }

  public boolean isDone() {
    return this == DONE || json.equals(SseWriter.DONE);
  }
}
