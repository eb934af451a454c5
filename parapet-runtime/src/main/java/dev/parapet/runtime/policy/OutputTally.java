package dev.parapet.runtime.policy;

import java.util.function.LongSupplier;

/**
 * What one call's answer carried, as the answer-side guards saw it: the output tokens counted
 * from the streamed deltas (or the whole answer's text). The budget settles a call that ended
 * without reported usage — a stream cut by a guard, by the caller leaving or by the provider
 * dropping — on these tokens, never on zero. Touched on the caller's event loop, or on a policy
 * thread that works on the call while the loop leaves it alone (a large answer or streamed event;
 * the hand-overs order every access), never on two threads at once.
 *
 * <p>Counting is the expensive part of the answer path, and a call that ends with the provider's
 * own usage never needs it. So a guard may {@linkplain #defer defer} text it has not counted yet:
 * {@link #outputTokens()} first runs the deferred count, so whoever reads the tally always gets
 * every token the answer carried.
 */
public final class OutputTally {
  private long outputTokens;
  private boolean answered;
  private boolean uncounted;
  private LongSupplier deferred;
  private boolean lent;
  private Runnable whenGivenBack;

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

  /**
   * The answer carried billed output that no count can read (Anthropic's {@code redacted_thinking}:
   * encrypted; a 2xx answer too large or too malformed to read). A settlement without the provider's
   * usage then charges the worst case.
   */
  public void uncountedOutput() {
    uncounted = true;
    answered = true;
  }

  /** Whether {@link #uncountedOutput} was reported. */
  public boolean hasUncountedOutput() {
    return uncounted;
  }

  /**
   * A policy thread counts into this tally (a large streamed event or whole answer) until {@link
   * #giveBack}: a read meanwhile ({@link #whenFree}) waits for it. Called on the loop, like the other
   * two.
   */
  public void lend() {
    lent = true;
  }

  /** The policy thread is done with the tally: a read that waited runs now. */
  public void giveBack() {
    lent = false;
    Runnable read = whenGivenBack;
    whenGivenBack = null;
    if (read != null) {
      read.run();
    }
  }

  /**
   * Runs {@code read} (a settlement) now, or, while the tally is lent, once it is given back: a
   * caller who leaves while a policy thread counts its answer is settled on every token it carried,
   * a moment later, rather than on a count that is still being made.
   */
  public void whenFree(Runnable read) {
    if (lent) {
      whenGivenBack = read;
    } else {
      read.run();
    }
  }
}
