package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;

/**
 * Passes an OpenAI-format stream through unchanged: each {@code data:} payload goes to the caller
 * as the very same string (never re-serialized, so the caller sees the provider's bytes), except
 * the usage-only final chunk ({@code choices: []} with {@code usage}) when Parapet asked for it on
 * its own behalf. Every chunk is still parsed, to track the reported model, usage, fingerprint
 * and output size (https://platform.openai.com/docs/api-reference/chat-streaming).
 */
final class OpenAiStreamTranslator implements StreamTranslator {
  private final String what;
  private final boolean callerWantsUsage;
  private Optional<String> model = Optional.empty();
  private Optional<String> fingerprint = Optional.empty();
  private Optional<Usage> usage = Optional.empty();
  private long outputChars;
  private boolean finished;

  OpenAiStreamTranslator(String what, boolean callerWantsUsage) {
    this.what = what;
    this.callerWantsUsage = callerWantsUsage;
  }

  @Override
  public List<StreamChunk> onEvent(SseEvent event) throws ProviderProtocolException {
    if (finished) {
      return List.of(); // nothing is meaningful after [DONE]
    }
    if (event.event().filter("error"::equals).isPresent()) {
      throw new ProviderProtocolException(what + ": provider sent an error event");
    }
    String data = event.data();
    if (data.strip().equals(SseWriter.DONE)) {
      finished = true;
      return List.of(StreamChunk.DONE);
    }
    if (data.isBlank()) {
      return List.of(); // an empty data line is a keep-alive, not a chunk
    }
    ObjectNode chunk = Json.parseObject(data, what + " chunk");
    JsonNode error = chunk.get("error");
    if (error != null && !error.isNull()) {
      throw new ProviderProtocolException(what + ": provider sent an error in the stream");
    }
    Json.text(chunk, "model").ifPresent(m -> model = Optional.of(m));
    Json.text(chunk, "system_fingerprint").ifPresent(f -> fingerprint = Optional.of(f));
    Optional<Usage> reported = OpenAiCompatibleAdapter.readUsage(chunk, what + " chunk");
    if (reported.isPresent()) {
      usage = reported;
    }
    JsonNode choices = chunk.get("choices");
    if (choices != null && !choices.isNull() && !choices.isArray()) {
      throw new ProviderProtocolException(what + " chunk: choices is not an array");
    }
    if (choices != null && choices.isArray()) {
      for (JsonNode choice : choices) {
        outputChars += deltaChars(choice.path("delta"));
      }
    }
    boolean usageOnly = reported.isPresent() && (choices == null || choices.isEmpty());
    if (usageOnly && !callerWantsUsage) {
      return List.of();
    }
    return List.of(new StreamChunk(data, chunk));
  }

  /** Content, refusal and tool-call arguments are all billed output. */
  private static long deltaChars(JsonNode delta) {
    long n = 0;
    n += textLength(delta.get("content"));
    n += textLength(delta.get("refusal"));
    for (JsonNode call : delta.path("tool_calls")) {
      n += textLength(call.path("function").get("arguments"));
    }
    return n;
  }

  private static long textLength(JsonNode n) {
    if (n == null || !n.isTextual()) {
      return 0;
    }
    String s = n.asText();
    return s.codePointCount(0, s.length());
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
    return usage;
  }

  @Override
  public long outputChars() {
    return outputChars;
  }

  @Override
  public Optional<String> systemFingerprint() {
    return fingerprint;
  }
}
