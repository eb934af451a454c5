package dev.parapet.core.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderType;
import dev.parapet.core.tokens.TokenCounter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TokenLimitTest {
  static final List<TokenCounter> COUNTERS = List.of(
      TokenCounter.forModel(ProviderType.OPENAI, "gpt-4o-2024-08-06"),
      TokenCounter.forModel(ProviderType.OPENAI, "gpt-4-0613"),
      TokenCounter.forModel(ProviderType.ANTHROPIC, "claude-sonnet-4-20250514"));

  static final List<List<String>> PROMPTS = List.of(
      List.of(),
      List.of(""),
      List.of("You are terse.", "Summarise: the quick brown fox jumps over the lazy dog."),
      List.of("日本語のテキストを要約してください。", "😀😀😀 emoji 🚀"),
      List.of("x".repeat(5_000)),
      List.of("lorem ipsum dolor sit amet ".repeat(200), "and a second message"));

  @Test
  void aPromptIsMeasuredOnlyWhenAskedAndItsCharsNeverPassItsBound() {
    List<String> texts = List.of("caf\u00e9 na\u00efve \u4e2d\u6587", "plain ascii", "\ud83d\ude00 emoji");
    PromptTokens p = PromptTokens.of(COUNTERS.get(0), texts);
    assertFalse(p.isBounded(), "nothing read at construction");
    long chars = texts.stream().mapToLong(String::length).sum();
    assertEquals(chars, p.chars());
    assertFalse(p.isBounded(), "chars reads no text");
    assertEquals(TokenLimit.upperBound(texts), p.upperBound());
    assertTrue(p.isBounded());
    assertTrue(p.chars() < p.upperBound(), "multi-byte text: the bound is longer than the chars");
    assertFalse(p.isCounted());
    assertEquals(COUNTERS.get(0).countMessages(texts), p.exact());
  }

  @Test
  void aLazyPromptBuildsItsTextsOnceAndOnlyWhenMeasured() {
    List<String> texts = List.of("caf\u00e9 na\u00efve \u4e2d\u6587", "plain ascii");
    long chars = texts.stream().mapToLong(String::length).sum();
    int[] built = {0};
    PromptTokens p = PromptTokens.lazy(COUNTERS.get(0), chars, () -> {
      built[0]++;
      return texts;
    });
    assertEquals(chars, p.chars());
    assertEquals(0, built[0], "chars builds no text");
    assertEquals(TokenLimit.upperBound(texts), p.upperBound());
    assertEquals(COUNTERS.get(0).countMessages(texts), p.exact());
    assertEquals(1, built[0], "built once, for the bound and the count");
  }

  @Test
  void smallPromptsAreAdmittedWithoutCounting() {
    TokenLimit.Verdict v = TokenLimit.check(COUNTERS.get(0), List.of("hello"), 6_000);
    TokenLimit.Within w = assertInstanceOf(TokenLimit.Within.class, v);
    assertFalse(w.tokens().isCounted());
    assertEquals(3 + 4 + 5, w.tokens().upperBound());
    assertEquals(COUNTERS.get(0).countMessages(List.of("hello")), w.tokens().exact());
    assertTrue(w.tokens().isCounted());
  }

  @Test
  void boundCoversTheExactCountAndMatchesUtf8() {
    for (List<String> prompt : PROMPTS) {
      long bytes = 3;
      for (String t : prompt) {
        bytes += 4 + t.getBytes(StandardCharsets.UTF_8).length;
      }
      assertEquals(bytes, TokenLimit.upperBound(prompt));
      for (TokenCounter c : COUNTERS) {
        assertTrue(c.countMessages(prompt) <= TokenLimit.upperBound(prompt), c + " " + prompt);
      }
    }
  }

  /**
   * Prompt the provider adds beyond the texts (Anthropic's tool-use system prompt) is in the count
   * and in the bound, so the cheap path never admits what the count refuses.
   */
  @Test
  void anOverheadIsInTheCountAndTheBoundAndBothPathsAgree() {
    TokenCounter plain = COUNTERS.get(2);
    TokenCounter tools = plain.withOverhead(530);
    assertEquals(0, plain.overhead());
    assertEquals(530, tools.overhead());
    assertEquals(0, tools.withOverhead(0).overhead());
    assertThrows(IllegalArgumentException.class, () -> plain.withOverhead(-1));
    for (List<String> prompt : PROMPTS) {
      int exact = tools.countMessages(prompt);
      assertEquals(plain.countMessages(prompt) + 530, exact);
      PromptTokens p = PromptTokens.of(tools, prompt);
      assertEquals(TokenLimit.upperBound(prompt) + 530, p.upperBound());
      assertEquals(exact, p.exact());
      for (long max : new long[] {0, exact - 1, exact, p.upperBound() - 1, p.upperBound()}) {
        TokenLimit.Verdict cheap = TokenLimit.check(tools, prompt, (int) max);
        TokenLimit.Verdict full = TokenLimit.checkExact(tools, prompt, (int) max);
        assertEquals(full.getClass(), cheap.getClass(), "max=" + max + " " + prompt);
        if (full instanceof TokenLimit.Within w) {
          assertEquals(p.upperBound(), w.tokens().upperBound());
        }
      }
    }
  }

  /** The cheap path and the exact path give the same verdict at, around and far from the count. */
  @Test
  void cheapAndExactPathsAgree() {
    SplittableRandom rnd = new SplittableRandom(7);
    for (TokenCounter c : COUNTERS) {
      for (List<String> prompt : PROMPTS) {
        int exact = c.countMessages(prompt);
        long bound = TokenLimit.upperBound(prompt);
        int[] limits = {0, 1, exact - 1, exact, exact + 1, (int) bound - 1, (int) bound, (int) bound + 1,
            rnd.nextInt((int) bound + 10)};
        for (int max : limits) {
          if (max < 0) {
            continue;
          }
          TokenLimit.Verdict cheap = TokenLimit.check(c, prompt, max);
          TokenLimit.Verdict full = TokenLimit.checkExact(c, prompt, max);
          assertEquals(full.getClass(), cheap.getClass(), c + " max=" + max + " " + prompt);
          if (cheap instanceof TokenLimit.Exceeded e) {
            assertEquals(exact, e.tokens());
          } else {
            assertEquals(exact, ((TokenLimit.Within) cheap).tokens().exact());
          }
        }
      }
    }
  }
}
