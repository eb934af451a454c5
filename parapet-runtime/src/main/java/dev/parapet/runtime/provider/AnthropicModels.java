package dev.parapet.runtime.provider;

import java.util.List;

/**
 * What an anthropic route's pinned model can do, by its Claude API id: the model is pinned when
 * the route is built, so each answer here holds for every call of the route.
 */
final class AnthropicModels {
  /**
   * The models on which Anthropic's structured outputs are generally available on the Claude API
   * (https://platform.claude.com/docs/en/build-with-claude/structured-outputs: strict tool use and
   * JSON outputs, without a beta header). Claude Opus 4.1 had them only in the beta, and Claude 4,
   * 3.7 and 3.x never. A model not named here is refused {@code strict: true} until Anthropic's
   * documentation names it: a guarantee is never assumed.
   */
  private static final List<String> STRUCTURED_OUTPUTS = List.of(
      "claude-opus-4-5", "claude-opus-4-6", "claude-opus-4-7", "claude-opus-4-8",
      "claude-sonnet-4-5", "claude-sonnet-4-6", "claude-sonnet-5", "claude-haiku-4-5",
      "claude-fable-5", "claude-mythos-5", "claude-mythos-preview");

  /** The same, as a caller reads it in a refusal. */
  static final String STRUCTURED_OUTPUTS_NAMES = "Claude Opus 4.5 to 4.8, Sonnet 4.5, 4.6 and 5, Haiku 4.5, "
      + "Fable 5, Mythos 5 and Mythos Preview";

  private AnthropicModels() {}

  /**
   * Whether {@code model} guarantees a schema ({@code strict: true}): one of {@link
   * #STRUCTURED_OUTPUTS}, as its alias, a dated snapshot ({@code claude-sonnet-4-5-20250929}) or a
   * {@code -latest} alias. A prefix is not enough: {@code claude-sonnet-5-5} is another model.
   */
  static boolean structuredOutputs(String model) {
    for (String id : STRUCTURED_OUTPUTS) {
      if (model.startsWith(id)) {
        String rest = model.substring(id.length());
        if (rest.isEmpty() || rest.equals("-latest") || isDate(rest)) {
          return true;
        }
      }
    }
    return false;
  }

  /** {@code -YYYYMMDD}. */
  private static boolean isDate(String rest) {
    if (rest.length() != 9 || rest.charAt(0) != '-') {
      return false;
    }
    for (int i = 1; i < rest.length(); i++) {
      if (rest.charAt(i) < '0' || rest.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }
}
