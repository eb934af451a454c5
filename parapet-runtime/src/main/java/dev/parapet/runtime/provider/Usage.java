package dev.parapet.runtime.provider;

/**
 * Token usage a provider reported for one call (OpenAI's {@code prompt_tokens}/{@code
 * completion_tokens}).
 *
 * @param cachedPromptTokens of the prompt tokens, those the provider read from its prompt cache
 *     (OpenAI's {@code prompt_tokens_details.cached_tokens}), which it bills below its input price;
 *     at most {@code promptTokens}
 */
public record Usage(long promptTokens, long completionTokens, long cachedPromptTokens) {
  public static final Usage ZERO = new Usage(0, 0);

  public Usage {
    if (promptTokens < 0 || completionTokens < 0 || cachedPromptTokens < 0) {
      throw new IllegalArgumentException("usage: negative token count");
    }
    if (cachedPromptTokens > promptTokens) {
      throw new IllegalArgumentException("usage: more cached prompt tokens than prompt tokens");
    }
  }

  /** Usage with no cached prompt tokens. */
  public Usage(long promptTokens, long completionTokens) {
    this(promptTokens, completionTokens, 0);
  }

  public long totalTokens() {
    return promptTokens + completionTokens;
  }
}
