package dev.parapet.core.pricing;

import dev.parapet.core.config.ModelIds;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;

/**
 * Whether a route's model bills output its answer never shows: OpenAI's reasoning models (o1, o3,
 * o4-mini, codex-mini and the gpt-5 family but its {@code -chat} models) think before they answer, bill
 * the reasoning tokens as output, and never send them, not even streamed. Such a call's output
 * cannot be counted from what Parapet saw: only the provider's final usage tells it. A call on such
 * a model that ends without that usage (a stream cut by a guard, a caller who left, a dropped
 * stream) is therefore settled at its worst case, like an upstream timeout, and not on the tokens
 * seen, which would leave all of its reasoning uncharged.
 *
 * <p>Anthropic's extended thinking is streamed and counted as it arrives, but Claude 4 models
 * stream only a summary of it and bill the full thinking: {@link #summarizesThinking}.
 */
public final class UnseenOutput {
  private UnseenOutput() {}

  /** Whether {@code provider}'s model bills output it never sends. */
  public static boolean billedBy(ProviderSpec provider) {
    if (provider.type() != ProviderType.OPENAI) {
      return false;
    }
    String m = ModelIds.openAiBase(provider.model());
    if (m.startsWith("gpt-5")) {
      return !m.contains("-chat"); // gpt-5-chat-latest, gpt-5.1-chat-latest: no reasoning
    }
    return m.startsWith("o1") || m.startsWith("o3") || m.startsWith("o4") || m.startsWith("codex-mini");
  }

  /**
   * Whether {@code provider}'s model, asked to think, bills thinking it does not send in full: every
   * anthropic route. Claude 4 models stream a summary of their thinking and bill the whole, so a
   * call that thinks and ends without a complete answer's usage is settled at its worst case. Claude
   * 3.7 streams its thinking whole; it is not told apart: an overcharge there, never an undercharge.
   */
  public static boolean summarizesThinking(ProviderSpec provider) {
    return provider.type() == ProviderType.ANTHROPIC;
  }
}
