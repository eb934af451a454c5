package dev.parapet.runtime.upstream;

import dev.parapet.runtime.provider.Usage;
import java.util.Optional;

/** How one call's answer reaches the caller: buffered whole, or streamed event by event. */
interface Answer extends ExchangeListener {
  /** Releases whatever the answer holds; safe to call more than once. */
  void dispose();

  /**
   * The caller's connection closed mid-answer (it left, its write failed, or the shutdown grace
   * period closed it), before the call ends as a caller gone: nothing more may be written. A stream
   * decides here what its caller may already have received ({@link
   * ExchangeObserver#onStreamEnd}), so its row is noted before it is written. Never throws.
   */
  default void callerLeft() {}

  /** The caller's connection became writable again (or stopped being). */
  default void writabilityChanged(boolean writable) {}

  /** Tokens seen so far, for a call that ends early. */
  default Optional<Usage> usage() {
    return Optional.empty();
  }

  default Optional<String> reportedModel() {
    return Optional.empty();
  }
}
