package dev.parapet.runtime.provider;

import java.util.List;
import java.util.Optional;

/**
 * Passes an OpenAI-format stream through unchanged: each {@code data:} payload goes to the caller
 * as the very same string (never re-serialized, so the caller sees the provider's bytes), except
 * the usage-only final chunk ({@code choices: []} with {@code usage}) when Parapet asked for it on
 * its own behalf. Every chunk is still read, in one streaming pass ({@link OpenAiChunkReader}), to
 * track the reported model, usage, fingerprint and output size
 * (https://platform.openai.com/docs/api-reference/chat-streaming).
 */
final class OpenAiStreamTranslator implements StreamTranslator {
  private final String what;
  private final boolean callerWantsUsage;
  private Optional<String> model = Optional.empty();
  private Optional<String> fingerprint = Optional.empty();
  private Optional<Usage> usage = Optional.empty();
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
      // An error event whatever its data holds (a chunk with error, or another object): readable if JSON
      throw new ProviderErrorException(what, Json.parseObject(event.data(), what + " error event").get("error"));
    }
    String data = event.data();
    if (data.strip().equals(SseWriter.DONE)) {
      finished = true;
      return List.of(StreamChunk.DONE);
    }
    if (data.isBlank()) {
      return List.of(); // an empty data line is a keep-alive, not a chunk
    }
    ChunkSummary chunk = OpenAiChunkReader.read(data, what + " chunk");
    // Every chunk repeats both. Kept only when they change: a fresh Optional stored per chunk into
    // this long-lived object is a young reference from the old generation on every chunk of every
    // open stream, which is what G1's young pauses spend their time scanning (bench/profile-notes.md).
    // A blank model names none (Azure OpenAI's prompt filter chunks): the one named before stands.
    model = keepOrReplace(model, chunk.model().filter(m -> !m.isBlank()));
    fingerprint = keepOrReplace(fingerprint, chunk.fingerprint());
    if (chunk.usage().isPresent()) {
      usage = chunk.usage();
    }
    boolean usageOnly = chunk.usage().isPresent() && chunk.choiceCount() == 0;
    if (usageOnly && !callerWantsUsage) {
      // Not the caller's: nothing is sent, but the model it names is shown to the drift lock.
      return chunk.model().isEmpty() ? List.of()
          : List.of(StreamChunk.hidden(new ChunkSummary(chunk.model(), Optional.empty(), Optional.empty(), 0, List.of())));
    }
    return List.of(new StreamChunk(data, chunk));
  }

  /** The newer value if there is one and it differs; otherwise the one already held. */
  static Optional<String> keepOrReplace(Optional<String> held, Optional<String> seen) {
    return seen.isEmpty() || seen.equals(held) ? held : seen;
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
  public Optional<String> systemFingerprint() {
    return fingerprint;
  }
}
