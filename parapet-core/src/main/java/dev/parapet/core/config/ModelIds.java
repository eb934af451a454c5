package dev.parapet.core.config;

import java.util.Locale;
import java.util.Objects;

/** Reading OpenAI model ids the way the per-model rules (image tokens, reasoning) are keyed. */
public final class ModelIds {
  private ModelIds() {}

  /**
   * {@code model} in lower case, without a router's {@code openai/} prefix or a fine-tune's {@code
   * ft:}: a fine-tuned {@code ft:gpt-4o-2024-08-06:acme::x} is billed as the model it was tuned
   * from.
   */
  public static String openAiBase(String model) {
    String m = Objects.requireNonNull(model, "model").toLowerCase(Locale.ROOT);
    m = m.startsWith("openai/") ? m.substring("openai/".length()) : m;
    return m.startsWith("ft:") ? m.substring("ft:".length()) : m;
  }
}
