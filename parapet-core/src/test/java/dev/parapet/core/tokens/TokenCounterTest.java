package dev.parapet.core.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenCounterTest {
  // Values checked by running jtokkit 1.1.0 (they match tiktoken's, e.g. the cookbook's
  // "tiktoken is great!" = 6 tokens).
  private static final String MIXED = "h\u00e9llo w\u00f6rld \uD83D\uDE00"; // cl100k 7, o200k 6

  @Test
  void picksTheEncodingByModelFamily() {
    for (String m : List.of("gpt-4o-2024-08-06", "gpt-4o-mini", "gpt-4.1-nano", "o1-preview", "o3-mini",
        "o4-mini", "gpt-5", "chatgpt-4o-latest", "GPT-4O", "ft:gpt-4o-mini-2024-07-18:acme:support:9xYz",
        "openai/gpt-4.1")) {
      assertEquals("o200k_base", TokenCounter.forModel(ProviderType.OPENAI, m).encodingName(), m);
    }
    for (String m : List.of("gpt-4", "gpt-4-turbo-2024-04-09", "gpt-3.5-turbo-0125", "ft:gpt-3.5-turbo-0125:acme::abc")) {
      assertEquals("cl100k_base", TokenCounter.forModel(ProviderType.OPENAI, m).encodingName(), m);
    }
    assertFalse(TokenCounter.forModel(ProviderType.OPENAI, "gpt-4o").isEstimate());
    assertFalse(TokenCounter.forModel(ProviderType.OPENAI, "ft:gpt-4o-2024-08-06:acme::x").isEstimate(),
        "a fine-tune counts exactly, as the model it was tuned from");
    assertTrue(TokenCounter.forModel(ProviderType.ANTHROPIC, "claude-3-5-sonnet-20241022").isEstimate());
    assertTrue(TokenCounter.forModel(ProviderType.LOCAL, "llama3.1:8b").isEstimate());
    assertFalse(TokenCounter.forModel(ProviderType.LOCAL, "gpt-4o").isEstimate());
    assertTrue(TokenCounter.forModel(ProviderType.OPENAI, "some-future-model").isEstimate());
    TokenCounter echo = TokenCounter.forModel(ProviderType.ECHO, "echo-1");
    assertFalse(echo.isEstimate());
    assertEquals("cl100k_base", echo.encodingName());
  }

  @Test
  void warmUpMayRaceCounting() throws Exception {
    // Boot warms the registry on a background thread while the first calls may already count.
    Thread warm = new Thread(TokenCounter::warmUp, "warm-up-test");
    warm.start();
    assertEquals(2, TokenCounter.forModel(ProviderType.OPENAI, "gpt-4o").count("hello world"));
    assertEquals(6, TokenCounter.forModel(ProviderType.OPENAI, "gpt-4").count("tiktoken is great!"));
    warm.join();
    TokenCounter.warmUp(); // again: harmless
    assertEquals(2, TokenCounter.forModel(ProviderType.OPENAI, "gpt-4o").count("hello world"));
  }

  @Test
  void knownCounts() {
    TokenCounter cl100k = TokenCounter.forModel(ProviderType.OPENAI, "gpt-4");
    TokenCounter o200k = TokenCounter.forModel(ProviderType.OPENAI, "gpt-4o");
    assertEquals(2, cl100k.count("hello world"));
    assertEquals(2, o200k.count("hello world"));
    assertEquals(6, cl100k.count("tiktoken is great!"));
    assertEquals(10, cl100k.count("The quick brown fox jumps over the lazy dog."));
    assertEquals(7, cl100k.count(MIXED));
    assertEquals(6, o200k.count(MIXED));
    assertEquals(0, o200k.count(""));
  }

  @Test
  void specialTokenTextIsCountedAsOrdinaryText() {
    assertTrue(TokenCounter.forModel(ProviderType.OPENAI, "gpt-4o").count("<|endoftext|>") > 1);
  }

  @Test
  void estimateIsCl100kTimesFiveQuartersRoundedUpAndCappedAtBytes() {
    TokenCounter claude = TokenCounter.forModel(ProviderType.ANTHROPIC, "claude-sonnet-4-20250514");
    assertEquals(3, claude.count("hello world")); // ceil(2 * 1.25)
    assertEquals(13, claude.count("The quick brown fox jumps over the lazy dog.")); // ceil(12.5)
    assertEquals(2, claude.count("ab"), "never above the UTF-8 byte count"); // cl100k 1 -> 2
    assertEquals(1, claude.count("a"));
  }

  @Test
  void messagesCarryOpenAiFraming() {
    TokenCounter c = TokenCounter.forModel(ProviderType.OPENAI, "gpt-4o");
    // (4 + 2) + (4 + 6) + 3
    assertEquals(19, c.countMessages(List.of("hello world", "tiktoken is great!")));
    assertEquals(3, c.countMessages(List.of()));
    assertEquals(7, c.countMessages(List.of("")));
  }

  @Test
  void byteBoundHoldsForEveryCounter() {
    List<String> texts = List.of("hello world", MIXED, "x".repeat(1000), "\u4f60\u597d\u4e16\u754c", "  \n\t ", "a");
    for (TokenCounter c : List.of(TokenCounter.forModel(ProviderType.OPENAI, "gpt-4o"),
        TokenCounter.forModel(ProviderType.OPENAI, "gpt-4"),
        TokenCounter.forModel(ProviderType.ANTHROPIC, "claude"))) {
      for (String t : texts) {
        int bytes = t.getBytes(StandardCharsets.UTF_8).length;
        assertTrue(c.count(t) <= TokenCounter.upperBoundFromUtf8Bytes(bytes), c + " " + t);
      }
    }
    assertEquals(17, TokenCounter.upperBoundFromUtf8Bytes(17));
    assertThrows(IllegalArgumentException.class, () -> TokenCounter.upperBoundFromUtf8Bytes(-1));
  }

  @Test
  void truncateCutsOnATokenBoundary() {
    TokenCounter c = TokenCounter.forModel(ProviderType.ECHO, "echo");
    String text = "The quick brown fox jumps over the lazy dog.";
    assertEquals("The quick", c.truncate(text, 2));
    assertEquals(text, c.truncate(text, 10));
    assertEquals("", c.truncate(text, 0));
    for (int n = 0; n <= 8; n++) {
      String cut = c.truncate(MIXED, n);
      assertTrue(MIXED.startsWith(cut), "prefix at " + n);
      assertTrue(c.count(cut) <= n, "within budget at " + n);
    }
    TokenCounter est = TokenCounter.forModel(ProviderType.ANTHROPIC, "claude");
    for (int n = 0; n <= 14; n++) {
      assertTrue(est.count(est.truncate(text, n)) <= n, "estimate within budget at " + n);
    }
  }
}
