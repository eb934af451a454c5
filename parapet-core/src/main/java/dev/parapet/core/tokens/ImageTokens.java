package dev.parapet.core.tokens;

import dev.parapet.core.config.ModelIds;
import dev.parapet.core.config.ProviderType;
import java.util.Objects;
import java.util.Optional;

/**
 * Input tokens a provider bills for one image, by the rule its model is documented to follow, so
 * that images count against {@code max_tokens_in} and the budget's worst case like text does.
 * Every figure is an upper bound: sizes and patch counts are rounded up, and where the providers'
 * documents and their invoices disagree, the larger figure is taken.
 *
 * <ul>
 *   <li><b>Tiles</b> (gpt-4o, gpt-4.1, gpt-4.5, gpt-4-turbo, o1, o3, gpt-5): {@code detail: low}
 *       is the base tokens; otherwise the image is scaled to fit 2048×2048, then its short side
 *       to 768 (never up), and each 512-pixel tile costs the tile tokens, plus the base. At most
 *       8 tiles (768×2048).
 *   <li><b>Patches</b> (gpt-4.1-mini, gpt-4.1-nano, o4-mini, gpt-5-mini, gpt-5-nano): 32-pixel
 *       patches, at most 1,536, times the model's multiplier, whatever the detail.
 *   <li><b>Area</b> (Anthropic): width × height / 750, at most {@value #ANTHROPIC_MAX}
 *       (Anthropic scales larger images down to about 1.15 megapixels; its own largest unscaled
 *       sizes, such as 784×1568, come to 1,639).
 *   <li>An OpenAI-style model the table does not know (a local server's, a newer OpenAI one)
 *       counts the larger of the gpt-4o tiles and the nano patches, the widest of the documented
 *       rules but gpt-4o-mini's: no rule is known to be an upper bound there, so the count is the
 *       broad one, and a provider's reported usage settles the call either way.
 *   <li>{@code echo} sees no images and reports none: 0.
 * </ul>
 *
 * <p>An image whose size is unknown (a URL, which Parapet never fetches, or data it cannot read)
 * counts at its model's maximum. Immutable and thread-safe.
 */
public final class ImageTokens {
  /** The largest Anthropic image count: its largest unscaled size, 784×1568, over 750. */
  public static final int ANTHROPIC_MAX = 1_640;
  static final int MAX_PATCHES = 1_536;

  private final Rule rule;

  private ImageTokens(Rule rule) {
    this.rule = rule;
  }

  /** The rule for a route's model. */
  public static ImageTokens forModel(ProviderType type, String model) {
    Objects.requireNonNull(type, "type");
    String m = ModelIds.openAiBase(model);
    return new ImageTokens(switch (type) {
      case ECHO -> new None();
      case ANTHROPIC -> new Area();
      case OPENAI, LOCAL -> openAi(m);
    });
  }

  /** {@code m}: an {@link ModelIds#openAiBase} id. */
  private static Rule openAi(String m) {
    if (m.startsWith("gpt-4o-mini")) {
      return new Tiles(2_833, 5_667);
    }
    if (m.startsWith("gpt-4.1-mini") || m.startsWith("gpt-5-mini")) {
      return new Patches(162);
    }
    if (m.startsWith("gpt-4.1-nano") || m.startsWith("gpt-5-nano")) {
      return new Patches(246);
    }
    if (m.startsWith("o4-mini") || m.startsWith("codex-mini")) {
      return new Patches(172);
    }
    if (m.startsWith("gpt-4o") || m.startsWith("chatgpt-4o") || m.startsWith("gpt-4.1") || m.startsWith("gpt-4.5")
        || m.startsWith("gpt-4-turbo") || m.startsWith("gpt-4-vision")) {
      return new Tiles(85, 170);
    }
    if (m.startsWith("o1") || m.startsWith("o3")) {
      return new Tiles(75, 150);
    }
    if (m.equals("gpt-5") || m.startsWith("gpt-5-")) {
      return new Tiles(70, 140);
    }
    return new Widest(new Tiles(85, 170), new Patches(246));
  }

  /** Tokens for one image of {@code size} (empty: unknown), with {@code detail: low} or not. */
  public int tokens(Optional<ImageSize> size, boolean lowDetail) {
    return size.map(s -> rule.tokens(s.width(), s.height(), lowDetail)).orElseGet(() -> rule.max(lowDetail));
  }

  /** The most one image can cost: what an image of unknown size counts. */
  public int max(boolean lowDetail) {
    return rule.max(lowDetail);
  }

  /** Whether images count at all (false for echo). */
  public boolean counts() {
    return !(rule instanceof None);
  }

  @Override
  public String toString() {
    return "ImageTokens[" + rule + "]";
  }

  private sealed interface Rule permits None, Tiles, Patches, Area, Widest {
    int tokens(int width, int height, boolean lowDetail);

    int max(boolean lowDetail);
  }

  private record None() implements Rule {
    @Override
    public int tokens(int width, int height, boolean lowDetail) {
      return 0;
    }

    @Override
    public int max(boolean lowDetail) {
      return 0;
    }
  }

  private record Tiles(int base, int perTile) implements Rule {
    @Override
    public int tokens(int width, int height, boolean lowDetail) {
      if (lowDetail) {
        return base;
      }
      double w = width;
      double h = height;
      double fit = 2048 / Math.max(w, h);
      if (fit < 1) {
        w *= fit;
        h *= fit;
      }
      double shortSide = 768 / Math.min(w, h);
      if (shortSide < 1) {
        w *= shortSide;
        h *= shortSide;
      }
      // A fractional side counts as the next whole pixel; float error (768.0000001) does not.
      long tiles = tiles(w) * tiles(h);
      return (int) Math.min(base + perTile * tiles, max(false));
    }

    private static long tiles(double side) {
      return Math.max(1, (long) Math.ceil(Math.ceil(side - 1e-6) / 512));
    }

    @Override
    public int max(boolean lowDetail) {
      return lowDetail ? base : base + 8 * perTile;
    }
  }

  /** {@code multiplier} in hundredths. */
  private record Patches(int multiplier) implements Rule {
    @Override
    public int tokens(int width, int height, boolean lowDetail) {
      long patches = Math.min((width + 31L) / 32 * ((height + 31L) / 32), MAX_PATCHES);
      return (int) ((patches * multiplier + 99) / 100);
    }

    @Override
    public int max(boolean lowDetail) {
      return (MAX_PATCHES * multiplier + 99) / 100;
    }
  }

  private record Area() implements Rule {
    @Override
    public int tokens(int width, int height, boolean lowDetail) {
      return (int) Math.min(((long) width * height + 749) / 750, ANTHROPIC_MAX);
    }

    @Override
    public int max(boolean lowDetail) {
      return ANTHROPIC_MAX;
    }
  }

  private record Widest(Rule a, Rule b) implements Rule {
    @Override
    public int tokens(int width, int height, boolean lowDetail) {
      return Math.max(a.tokens(width, height, lowDetail), b.tokens(width, height, lowDetail));
    }

    @Override
    public int max(boolean lowDetail) {
      return Math.max(a.max(lowDetail), b.max(lowDetail));
    }
  }
}
