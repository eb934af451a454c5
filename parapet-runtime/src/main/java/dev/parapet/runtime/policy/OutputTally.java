package dev.parapet.runtime.policy;

import java.util.function.LongSupplier;

/**
 * What one call's answer carried, as the answer-side guards saw it: the output tokens counted
 * from the streamed deltas (or the whole answer's text). The budget settles a call that ended
 * without reported usage — a stream cut by a guard, by the caller leaving or by the provider
 * dropping — on these tokens, never on zero. Touched only on the caller's event loop.
 *
 * <p>Counting is the expensive part of the answer path, and a call that ends with the provider's
 * own usage never needs it. So a guard may {@linkplain #defer defer} text it has not counted yet:
 * {@link #outputTokens()} first runs the deferred count, so whoever reads the tally always gets
 * every token the answer carried.
 */
public final class OutputTally {
  private long outputTokens;
  private boolean answered;
  private LongSupplier deferred;

  public void add(long tokens) {
    outputTokens += Math.max(0, tokens);
    answered = true;
  }

  /**
   * Output the guard holds uncounted: {@code countRest} counts it (once; later calls return 0)
   * when {@link #outputTokens()} is read. Replaces an earlier deferral (one guard per call).
   */
  public void defer(LongSupplier countRest) {
    this.deferred = countRest;
  }

  /** The provider started answering (a first event or a whole answer arrived). */
  public void answered() {
    answered = true;
  }

  /** Every output token seen, counting whatever was deferred. */
  public long outputTokens() {
    if (deferred != null) {
      outputTokens += Math.max(0, deferred.getAsLong());
    }
    return outputTokens;
  }

  public boolean sawAnswer() {
    return answered;
  }
}
