package dev.parapet.runtime.provider;

/** Token usage a provider reported for one call (OpenAI's {@code prompt_tokens}/{@code completion_tokens}). */
public record Usage(long promptTokens, long completionTokens) {
  public static final Usage ZERO = new Usage(0, 0);

  public Usage {
    if (promptTokens < 0 || completionTokens < 0) {
      throw new IllegalArgumentException("usage: negative token count");
    }
  }

  public long totalTokens() {
    return promptTokens + completionTokens;
  }
}
