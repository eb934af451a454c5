package dev.parapet.core.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderType;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ImageTokensTest {
  private static int tokens(ProviderType type, String model, int w, int h, boolean low) {
    return ImageTokens.forModel(type, model).tokens(Optional.of(new ImageSize(w, h)), low);
  }

  private static int openAi(String model, int w, int h) {
    return tokens(ProviderType.OPENAI, model, w, h, false);
  }

  @Test
  void tilesFollowOpenAisWorkedExamples() {
    // OpenAI's vision guide: 1024x1024 high is 765; 2048x4096 high is 1105; low is 85 at any size.
    assertEquals(765, openAi("gpt-4o-2024-08-06", 1024, 1024));
    assertEquals(1105, openAi("gpt-4o", 2048, 4096));
    assertEquals(85, tokens(ProviderType.OPENAI, "gpt-4o", 4096, 8192, true));
    assertEquals(255, openAi("gpt-4.1-2025-04-14", 128, 64)); // one tile: 85 + 170
    assertEquals(2833 + 5667, openAi("gpt-4o-mini-2024-07-18", 128, 64));
    assertEquals(75 + 150, openAi("o3-2025-04-16", 128, 64));
    assertEquals(70 + 140 * 4, openAi("gpt-5-2025-08-07", 1024, 1024));
    // never scaled up; a long thin image keeps its tiles
    assertEquals(85 + 170 * 4, openAi("gpt-4o", 2048, 300));
    // the most tiles any size gets: 768x2048
    assertEquals(85 + 170 * 8, openAi("gpt-4o", 768, 2048));
    assertEquals(85 + 170 * 8, openAi("gpt-4o", 3000, 8000));
  }

  @Test
  void patchesAreCappedAndMultiplied() {
    // 128x64: 4x2 patches
    assertEquals(13, openAi("gpt-4.1-mini-2025-04-14", 128, 64)); // 8 x 1.62 = 12.96
    assertEquals(20, openAi("gpt-4.1-nano", 128, 64)); // 8 x 2.46 = 19.68
    assertEquals(14, openAi("o4-mini", 128, 64)); // 8 x 1.72 = 13.76
    assertEquals(20, tokens(ProviderType.OPENAI, "gpt-5-nano", 128, 64, true), "detail low changes nothing");
    assertEquals((1536 * 162 + 99) / 100, openAi("gpt-5-mini", 4000, 4000));
    assertEquals(2489, ImageTokens.forModel(ProviderType.OPENAI, "gpt-4.1-mini").max(false));
  }

  @Test
  void anthropicCountsAreaCappedAtItsLargestUnscaledSize() {
    assertEquals(1590, tokens(ProviderType.ANTHROPIC, "claude-sonnet-4-5", 1092, 1092, false));
    assertEquals(54, tokens(ProviderType.ANTHROPIC, "claude-sonnet-4-5", 200, 200, false));
    assertEquals(ImageTokens.ANTHROPIC_MAX, tokens(ProviderType.ANTHROPIC, "claude-haiku-4-5", 784, 1568, false));
    assertEquals(ImageTokens.ANTHROPIC_MAX, tokens(ProviderType.ANTHROPIC, "claude-haiku-4-5", 8000, 8000, false));
    assertTrue(784L * 1568 / 750 < ImageTokens.ANTHROPIC_MAX);
  }

  @Test
  void anUnknownSizeCountsItsModelsMaximum() {
    assertEquals(1445, ImageTokens.forModel(ProviderType.OPENAI, "gpt-4o").tokens(Optional.empty(), false));
    assertEquals(85, ImageTokens.forModel(ProviderType.OPENAI, "gpt-4o").tokens(Optional.empty(), true));
    assertEquals(2833 + 8 * 5667, ImageTokens.forModel(ProviderType.OPENAI, "gpt-4o-mini").max(false));
    assertEquals(ImageTokens.ANTHROPIC_MAX, ImageTokens.forModel(ProviderType.ANTHROPIC, "x").max(true));
    // every size counts at most the maximum
    ImageTokens[] rules = {
        ImageTokens.forModel(ProviderType.OPENAI, "gpt-4o"), ImageTokens.forModel(ProviderType.OPENAI, "gpt-4o-mini"),
        ImageTokens.forModel(ProviderType.OPENAI, "gpt-5-nano"), ImageTokens.forModel(ProviderType.LOCAL, "llava"),
        ImageTokens.forModel(ProviderType.ANTHROPIC, "claude-opus-4-5")};
    for (ImageTokens rule : rules) {
      for (int w = 1; w < 10_000; w = w * 3 / 2 + 1) {
        for (int h = 1; h < 10_000; h = h * 5 / 3 + 1) {
          for (boolean low : new boolean[] {false, true}) {
            int n = rule.tokens(Optional.of(new ImageSize(w, h)), low);
            assertTrue(n > 0 && n <= rule.max(low), rule + " " + w + "x" + h + " " + low + ": " + n);
          }
        }
      }
    }
  }

  @Test
  void unknownModelsCountTheWidestRuleAndEchoCountsNone() {
    ImageTokens local = ImageTokens.forModel(ProviderType.LOCAL, "qwen2-vl-7b");
    assertEquals(Math.max(85 + 170 * 4, (1024 / 32) * (1024 / 32) * 246 / 100 + 1), local.tokens(
        Optional.of(new ImageSize(1024, 1024)), false));
    assertEquals((1536 * 246 + 99) / 100, local.max(false));
    assertEquals(765, tokens(ProviderType.LOCAL, "gpt-4o", 1024, 1024, false), "a local server of a known name");
    assertEquals(765, tokens(ProviderType.OPENAI, "ft:gpt-4o-2024-08-06:acme::abc", 1024, 1024, false));
    assertFalse(ImageTokens.forModel(ProviderType.ECHO, "gpt-4o").counts());
    assertEquals(0, tokens(ProviderType.ECHO, "gpt-4o", 1024, 1024, false));
  }
}
