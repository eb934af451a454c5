package dev.parapet.core.budget;

import dev.parapet.core.text.Utf8;
import dev.parapet.core.tokens.TokenCounter;
import java.util.List;
import java.util.Objects;

/**
 * The {@code max_tokens_in} check (400 {@code max_tokens_in_exceeded}), cheap bound first.
 *
 * <p>Every token of the byte-level BPEs behind {@link TokenCounter} stands for at least one UTF-8
 * byte, and the counter's estimate is capped at the byte count too, so a prompt whose bytes plus
 * chat framing fit under the limit cannot exceed it: it is admitted without running the tokenizer.
 * Only a prompt near or over the limit is counted before deciding. Either way the verdict is the
 * one an exact count would give.
 */
public final class TokenLimit {
  private TokenLimit() {}

  /** The verdict, with the count when it was needed to decide. */
  public sealed interface Verdict permits Within, Exceeded {}

  /** At most {@code max_tokens_in}; {@link PromptTokens#exact()} is counted lazily if not yet. */
  public record Within(PromptTokens tokens) implements Verdict {
    public Within {
      Objects.requireNonNull(tokens, "tokens");
    }
  }

  /** Over {@code max_tokens_in}, by the exact count (named in the 400's message). */
  public record Exceeded(int tokens) implements Verdict {}

  /** Decides with the bound when it suffices, otherwise with the counter. */
  public static Verdict check(TokenCounter counter, List<String> messageTexts, int maxTokensIn) {
    Objects.requireNonNull(counter, "counter");
    return check(PromptTokens.of(counter, messageTexts), maxTokensIn);
  }

  /**
   * The same verdict on a prompt already measured (its count perhaps made on another thread): the
   * bound admits it, or its count decides.
   */
  public static Verdict check(PromptTokens prompt, int maxTokensIn) {
    Objects.requireNonNull(prompt, "prompt");
    if (maxTokensIn < 0) {
      throw new IllegalArgumentException("maxTokensIn: " + maxTokensIn + " (expected: >= 0)");
    }
    if (prompt.upperBound() <= maxTokensIn) {
      return new Within(prompt);
    }
    int exact = prompt.exact();
    return exact <= maxTokensIn ? new Within(prompt) : new Exceeded(exact);
  }

  /** Decides with the counter only (the reference the bound must agree with). */
  public static Verdict checkExact(TokenCounter counter, List<String> messageTexts, int maxTokensIn) {
    List<String> texts = List.copyOf(messageTexts);
    int exact = counter.countMessages(texts);
    return exact <= maxTokensIn
        ? new Within(new PromptTokens(counter, texts, -1, exact)) // its bound made when asked
        : new Exceeded(exact);
  }

  /**
   * An upper bound on {@link TokenCounter#countMessages} for any counter, less its {@link
   * TokenCounter#overhead()}: each text's UTF-8 byte count plus {@link
   * TokenCounter#TOKENS_PER_MESSAGE}, plus {@link TokenCounter#TOKENS_REPLY_PRIMING}.
   * Computed from the chars without encoding ({@link Utf8#length}).
   */
  public static long upperBound(List<String> messageTexts) {
    long total = TokenCounter.TOKENS_REPLY_PRIMING;
    for (String text : messageTexts) {
      total += TokenCounter.TOKENS_PER_MESSAGE + Utf8.length(text);
    }
    return total;
  }

}
