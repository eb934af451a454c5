package dev.parapet.runtime.policy;

/**
 * What one call's answer carried, as the answer-side guards saw it: the output tokens counted
 * from the streamed deltas (or the whole answer's text). The budget settles a call that ended
 * without reported usage — a stream cut by a guard, by the caller leaving or by the provider
 * dropping — on these tokens, never on zero. Touched only on the caller's event loop.
 */
public final class OutputTally {
  private long outputTokens;
  private boolean answered;

  public void add(int tokens) {
    outputTokens += Math.max(0, tokens);
    answered = true;
  }

  /** The provider started answering (a first event or a whole answer arrived). */
  public void answered() {
    answered = true;
  }

  public long outputTokens() {
    return outputTokens;
  }

  public boolean sawAnswer() {
    return answered;
  }
}
