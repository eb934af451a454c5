package dev.parapet.runtime.provider;

import java.util.List;
import java.util.Optional;

/**
 * Per-call, stateful translation of a provider's SSE stream into OpenAI chat.completion.chunk
 * events. One instance per streamed call; not thread-safe (it lives on one event loop).
 */
public interface StreamTranslator {

  /**
   * Feeds one upstream event; returns the {@code data:} payloads to send the caller, in order,
   * each with the chunk it was parsed from (each is framed by the caller of this method as
   * {@code data: <payload>\n\n}). The terminal {@code [DONE]} is returned as
   * {@link StreamChunk#DONE} exactly once, when the provider's stream ends cleanly.
   *
   * @throws ProviderProtocolException when the event cannot be understood (garbage); a {@link
   *     ProviderErrorException} when it is the provider's own error (an {@code error} event, a
   *     chunk carrying {@code error}); the stream then ends with {@code upstream_error}
   */
  List<StreamChunk> onEvent(SseEvent event) throws ProviderProtocolException;

  /** Whether the provider's stream has ended cleanly (the last event was seen). */
  boolean finished();

  /** The model the provider reported, once seen (for OpenAI: every chunk; Anthropic: message_start). */
  Optional<String> reportedModel();

  /** Usage as far as reported; complete once {@link #finished()}. */
  Optional<Usage> usage();

  Optional<String> systemFingerprint();
}
