package dev.parapet.core.budget;

import dev.parapet.core.tokens.TokenCounter;
import java.util.List;
import java.util.function.Supplier;

/**
 * A prompt's token count, computed only when asked for. A prompt under {@code max_tokens_in} by
 * its cheap bound needs no count to be admitted; only pricing the hold needs the real number, and
 * a route priced at zero (echo) never does. The bound itself reads every char, so it too waits
 * until asked for: {@link #chars()} (no text read) tells whether the prompt is large enough for
 * both to be made on another thread. Even the texts may wait ({@link #lazy}): building them can
 * copy megabytes (text parts joined per message).
 *
 * <p>Meant for one request at a time; a race would only compute twice, to the same result.
 * Handing it to another thread and back (through executors) publishes what was computed safely.
 */
public final class PromptTokens {
  private final TokenCounter counter;
  /** Null until first needed when made {@link #lazy}. */
  private List<String> messageTexts;
  private final Supplier<List<String>> texts;
  private final long chars;
  private long upperBound;
  private int exact = -1;

  /** A prompt not measured yet: its bound on first {@link #upperBound()}, its count on first {@link #exact()}. */
  public static PromptTokens of(TokenCounter counter, List<String> messageTexts) {
    return new PromptTokens(counter, List.copyOf(messageTexts), -1, -1);
  }

  /**
   * A prompt whose texts are built only when first measured ({@link #upperBound()} or {@link
   * #exact()}), so that work may be done on another thread.
   *
   * @param chars the texts' total length in chars, as {@code texts} will build them
   * @param texts builds the message texts (once)
   */
  public static PromptTokens lazy(TokenCounter counter, long chars, Supplier<List<String>> texts) {
    if (chars < 0) {
      throw new IllegalArgumentException("chars: " + chars + " (expected: >= 0)");
    }
    return new PromptTokens(counter, null, texts, chars, -1, -1);
  }

  PromptTokens(TokenCounter counter, List<String> messageTexts, long upperBound, int exact) {
    this(counter, messageTexts, null, sumChars(messageTexts), upperBound, exact);
  }

  private PromptTokens(TokenCounter counter, List<String> messageTexts, Supplier<List<String>> texts, long chars,
      long upperBound, int exact) {
    this.counter = counter;
    this.messageTexts = messageTexts;
    this.texts = texts;
    this.chars = chars;
    this.upperBound = upperBound;
    this.exact = exact;
  }

  private static long sumChars(List<String> messageTexts) {
    long n = 0;
    for (String text : messageTexts) {
      n += text.length();
    }
    return n;
  }

  private List<String> texts() {
    List<String> t = messageTexts;
    if (t == null) {
      t = List.copyOf(texts.get());
      messageTexts = t;
    }
    return t;
  }

  /**
   * The cheap bound: UTF-8 bytes plus the chat framing ({@link TokenLimit#upperBound}) plus the
   * counter's {@link TokenCounter#overhead()}, computed on first call (it reads every char: ~1 ms
   * for 4 MB).
   */
  public long upperBound() {
    if (upperBound < 0) {
      upperBound = TokenLimit.upperBound(texts()) + counter.overhead();
    }
    return upperBound;
  }

  /**
   * The texts' length in chars, without reading them: at most {@link #upperBound()} (a char is at
   * least one UTF-8 byte), so a prompt this long has a bound at least as long.
   */
  public long chars() {
    return chars;
  }

  /** The counter's count ({@link TokenCounter#countMessages}), computed on first call. */
  public int exact() {
    int n = exact;
    if (n < 0) {
      n = counter.countMessages(texts());
      exact = n;
    }
    return n;
  }

  /** Whether the count is the documented estimate ({@link TokenCounter#isEstimate}). */
  public boolean isEstimate() {
    return counter.isEstimate();
  }

  /** Whether {@link #upperBound()} has already been computed (for tests). */
  public boolean isBounded() {
    return upperBound >= 0;
  }

  /** Whether {@link #exact()} has already been computed (for tests and metrics). */
  public boolean isCounted() {
    return exact >= 0;
  }
}
