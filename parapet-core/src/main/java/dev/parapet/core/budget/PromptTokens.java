package dev.parapet.core.budget;

import dev.parapet.core.tokens.TokenCounter;
import java.util.List;

/**
 * A prompt's token count, computed only when asked for. A prompt under {@code max_tokens_in} by
 * its cheap bound needs no count to be admitted; only pricing the hold needs the real number, and
 * a route priced at zero (echo) never does.
 *
 * <p>Meant for one request at a time; a race would only count twice, to the same result. Handing
 * it to another thread to count and back (through executors) publishes the count safely.
 */
public final class PromptTokens {
  private final TokenCounter counter;
  private final List<String> messageTexts;
  private final long upperBound;
  private int exact = -1;

  /** A prompt not counted yet: its bound now, its count on first {@link #exact()}. */
  public static PromptTokens of(TokenCounter counter, List<String> messageTexts) {
    List<String> texts = List.copyOf(messageTexts);
    return new PromptTokens(counter, texts, TokenLimit.upperBound(texts), -1);
  }

  PromptTokens(TokenCounter counter, List<String> messageTexts, long upperBound, int exact) {
    this.counter = counter;
    this.messageTexts = messageTexts;
    this.upperBound = upperBound;
    this.exact = exact;
  }

  /** The cheap bound: UTF-8 bytes plus the chat framing ({@link TokenLimit#upperBound}). */
  public long upperBound() {
    return upperBound;
  }

  /** The counter's count ({@link TokenCounter#countMessages}), computed on first call. */
  public int exact() {
    int n = exact;
    if (n < 0) {
      n = counter.countMessages(messageTexts);
      exact = n;
    }
    return n;
  }

  /** Whether the count is the documented estimate ({@link TokenCounter#isEstimate}). */
  public boolean isEstimate() {
    return counter.isEstimate();
  }

  /** Whether {@link #exact()} has already been computed (for tests and metrics). */
  public boolean isCounted() {
    return exact >= 0;
  }
}
