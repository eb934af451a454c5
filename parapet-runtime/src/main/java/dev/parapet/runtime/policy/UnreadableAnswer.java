package dev.parapet.runtime.policy;

import dev.parapet.runtime.upstream.ExchangeObserver;

/**
 * Tells the budget of a 2xx answer that could not be read (too large, malformed, cut off after its
 * head): the provider billed it, and nothing of what it billed is known, so the call's tally
 * reports output no count can read and the settlement charges the worst case, as for a timeout,
 * rather than releasing the hold. Without this, an answer made too large to read (many choices
 * with {@code top_logprobs}) would be a free call, again and again.
 */
final class UnreadableAnswer implements ExchangeObserver {
  private final OutputTally tally;

  UnreadableAnswer(OutputTally tally) {
    this.tally = tally;
  }

  @Override
  public void onUnreadableAnswer() {
    tally.uncountedOutput();
  }
}
