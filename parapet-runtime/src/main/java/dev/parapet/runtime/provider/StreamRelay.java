package dev.parapet.runtime.provider;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * One streamed answer's bytes-to-payloads path: an {@link SseParser} feeding a
 * {@link StreamTranslator}, so the upstream handler deals in buffers in and caller payloads out
 * (frame each with {@link SseWriter#frame}). Not thread-safe; lives on one event loop.
 */
public final class StreamRelay {
  private final SseParser parser;
  private final StreamTranslator translator;

  public StreamRelay(StreamTranslator translator) {
    this(new SseParser(), translator);
  }

  public StreamRelay(SseParser parser, StreamTranslator translator) {
    this.parser = parser;
    this.translator = translator;
  }

  /**
   * Consumes the readable bytes of {@code in} (not released) and returns the payloads to send
   * the caller, in order; {@link StreamChunk#DONE} is among them once the provider's stream ended
   * cleanly.
   *
   * @throws ProviderProtocolException on an oversize event, garbage or a provider error event
   */
  public List<StreamChunk> feed(ByteBuf in) throws ProviderProtocolException {
    List<SseEvent> events = parser.feed(in);
    if (events.isEmpty()) {
      return List.of();
    }
    List<StreamChunk> payloads = new ArrayList<>(events.size() + 2);
    for (SseEvent event : events) {
      payloads.addAll(translator.onEvent(event));
    }
    return payloads;
  }

  /**
   * The upstream body ended. Any half-received event is discarded (WHATWG §9.2.6).
   *
   * @return whether the provider's stream ended cleanly (its terminal event was seen); if not,
   *     the answer was cut short and the call ends as an upstream error
   */
  public boolean finish() {
    parser.finish(e -> {});
    return translator.finished();
  }

  /** Model, usage and output size seen so far (drift check, settlement). */
  public StreamTranslator translator() {
    return translator;
  }
}
