package dev.parapet.runtime.stream;

import dev.parapet.runtime.provider.SseEvent;
import io.netty.buffer.ByteBuf;
import java.util.function.Consumer;

/**
 * One incremental Server-Sent Events decoder (WHATWG HTML §9.2.6, "Interpreting an event
 * stream") for one upstream answer: bytes go in as they arrive, complete events come out. The
 * providers' {@code SseParser} is one ({@code new SseParser()::feed}); the upstream stage only
 * needs this shape, so it does not care how lines are split.
 */
@FunctionalInterface
public interface SseFeed {
  /**
   * Decodes what {@code in} holds, calling {@code out} for every event completed by it; keeps a
   * partial line for the next call. Does not release {@code in}.
   */
  void feed(ByteBuf in, Consumer<SseEvent> out);
}
