package dev.parapet.core.pricing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class UnseenOutputTest {
  private static boolean billed(ProviderType type, String model) {
    return UnseenOutput.billedBy(new ProviderSpec(type, model, Optional.empty(), Optional.empty(), List.of(),
        Optional.empty(), 1_000));
  }

  @Test
  void openAisReasoningModelsBillOutputTheyNeverSend() {
    for (String m : List.of("o1", "o1-2024-12-17", "o3", "o3-mini-2025-01-31", "o4-mini", "gpt-5", "gpt-5-mini-2025-08-07",
        "gpt-5-nano", "gpt-5.1", "codex-mini-latest", "openai/o3", "ft:o4-mini-2025-04-16:acme::x", "O3")) {
      assertEquals(true, billed(ProviderType.OPENAI, m), m);
    }
    for (String m : List.of("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-3.5-turbo", "gpt-5-chat-latest", "gpt-5.1-chat-latest")) {
      assertEquals(false, billed(ProviderType.OPENAI, m), m);
    }
    // Anthropic's thinking is streamed (summarizesThinking, below); local and echo models show what they bill
    assertEquals(false, billed(ProviderType.ANTHROPIC, "claude-sonnet-4-5"));
    assertEquals(false, billed(ProviderType.LOCAL, "o3"));
    assertEquals(false, billed(ProviderType.ECHO, "o3"));
  }

  /** Claude 4 streams a summary of its thinking and bills the whole; 3.7 is not told apart. */
  @Test
  void everyAnthropicModelIsTakenToSummarizeItsThinking() {
    for (ProviderType type : ProviderType.values()) {
      for (String m : List.of("claude-sonnet-4-5", "claude-3-7-sonnet-20250219", "o3")) {
        assertEquals(type == ProviderType.ANTHROPIC, UnseenOutput.summarizesThinking(new ProviderSpec(type, m,
            Optional.empty(), Optional.empty(), List.of(), Optional.empty(), 1_000)), type + " " + m);
      }
    }
  }
}
