package dev.parapet.core.pricing;

import dev.parapet.core.config.Pricing;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import java.math.BigDecimal;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Built-in list prices, USD per one million tokens (input / output), looked up by exact model id.
 *
 * <p>These are the providers' published list prices as of {@link #AS_OF}: verify them before
 * relying on them, and override per route with {@code provider.pricing} (negotiated rates,
 * batch pricing, new models). Budgets are only as right as these numbers, which is why the date
 * is shown to operators and why an unknown model is a validation error rather than free.
 *
 * <p>Lookup is by exact id on purpose: {@code gpt-4o-mini} must never match a {@code gpt-4o}
 * prefix.
 */
public final class PriceTable {
  /** The date these list prices were taken; shown next to every built-in price. */
  public static final String AS_OF = "2025-11-25";

  private static final Map<String, Pricing> OPENAI = new LinkedHashMap<>();
  /**
   * OpenAI's list price of a prompt token it read from its prompt cache (reported as {@code
   * usage.prompt_tokens_details.cached_tokens}), USD per one million; absent where the model has
   * no discount. Caching is automatic for prompts of 1,024 tokens or more.
   */
  private static final Map<String, BigDecimal> OPENAI_CACHED_INPUT = new LinkedHashMap<>();
  private static final Map<String, Pricing> ANTHROPIC = new LinkedHashMap<>();

  static {
    openai("gpt-4o", "2.50", "10.00", "1.25");
    openai("gpt-4o-2024-08-06", "2.50", "10.00", "1.25");
    openai("gpt-4o-2024-11-20", "2.50", "10.00", "1.25");
    openai("gpt-4o-2024-05-13", "5.00", "15.00");
    openai("gpt-4o-mini", "0.15", "0.60", "0.075");
    openai("gpt-4o-mini-2024-07-18", "0.15", "0.60", "0.075");
    openai("gpt-4.1", "2.00", "8.00", "0.50");
    openai("gpt-4.1-2025-04-14", "2.00", "8.00", "0.50");
    openai("gpt-4.1-mini", "0.40", "1.60", "0.10");
    openai("gpt-4.1-mini-2025-04-14", "0.40", "1.60", "0.10");
    openai("gpt-4.1-nano", "0.10", "0.40", "0.025");
    openai("gpt-4.1-nano-2025-04-14", "0.10", "0.40", "0.025");
    openai("gpt-4-turbo", "10.00", "30.00");
    openai("gpt-4-turbo-2024-04-09", "10.00", "30.00");
    openai("gpt-3.5-turbo", "0.50", "1.50");
    openai("gpt-3.5-turbo-0125", "0.50", "1.50");
    openai("o1", "15.00", "60.00", "7.50");
    openai("o1-2024-12-17", "15.00", "60.00", "7.50");
    openai("o3-mini", "1.10", "4.40", "0.55");
    openai("o3-mini-2025-01-31", "1.10", "4.40", "0.55");
    openai("o3", "2.00", "8.00", "0.50");
    openai("o3-2025-04-16", "2.00", "8.00", "0.50");
    openai("o4-mini", "1.10", "4.40", "0.275");
    openai("o4-mini-2025-04-16", "1.10", "4.40", "0.275");
    openai("gpt-5", "1.25", "10.00", "0.125");
    openai("gpt-5-2025-08-07", "1.25", "10.00", "0.125");
    openai("gpt-5-mini", "0.25", "2.00", "0.025");
    openai("gpt-5-mini-2025-08-07", "0.25", "2.00", "0.025");
    openai("gpt-5-nano", "0.05", "0.40", "0.005");
    openai("gpt-5-nano-2025-08-07", "0.05", "0.40", "0.005");

    anthropic("claude-3-haiku-20240307", "0.25", "1.25");
    anthropic("claude-3-opus-20240229", "15", "75");
    anthropic("claude-3-5-sonnet-20240620", "3", "15");
    anthropic("claude-3-5-sonnet-20241022", "3", "15");
    anthropic("claude-3-5-haiku-20241022", "0.80", "4.00");
    anthropic("claude-3-7-sonnet-20250219", "3", "15");
    anthropic("claude-sonnet-4-20250514", "3", "15");
    anthropic("claude-sonnet-4-0", "3", "15");
    anthropic("claude-opus-4-20250514", "15", "75");
    anthropic("claude-opus-4-0", "15", "75");
    anthropic("claude-opus-4-1-20250805", "15", "75");
    anthropic("claude-opus-4-1", "15", "75");
    anthropic("claude-sonnet-4-5-20250929", "3", "15");
    anthropic("claude-sonnet-4-5", "3", "15");
    anthropic("claude-haiku-4-5-20251001", "1", "5");
    anthropic("claude-haiku-4-5", "1", "5");
    anthropic("claude-opus-4-5-20251101", "5", "25");
    anthropic("claude-opus-4-5", "5", "25");
  }

  private PriceTable() {}

  /** The built-in list price of {@code model} on {@code type}; empty for local and echo. */
  public static Optional<Pricing> builtIn(ProviderType type, String model) {
    return Optional.ofNullable(table(type).get(model));
  }

  /**
   * What a route's calls cost: its {@code provider.pricing}, else the built-in price, else free
   * for echo (which never calls anyone).
   *
   * @throws IllegalStateException if there is none; a validated spec always has one
   */
  public static Pricing effective(ProviderSpec provider) {
    if (provider.pricing().isPresent()) {
      return provider.pricing().get();
    }
    Optional<Pricing> builtIn = builtIn(provider.type(), provider.model());
    if (builtIn.isPresent()) {
      return builtIn.get();
    }
    if (provider.type() == ProviderType.ECHO) {
      return Pricing.FREE;
    }
    throw new IllegalStateException(
        "no price for " + provider.type().yamlName() + " model " + provider.model()
            + "; validation should have required provider.pricing");
  }

  /**
   * What a prompt token read from the provider's cache costs on a route, USD per one million: the
   * built-in cached-input price, only when the route is priced from the built-in table (a route's
   * own {@code provider.pricing} has no such rate, so its cached tokens cost its input price).
   */
  public static Optional<BigDecimal> cachedInput(ProviderSpec provider) {
    if (provider.pricing().isPresent() || provider.type() != ProviderType.OPENAI) {
      return Optional.empty();
    }
    return Optional.ofNullable(OPENAI_CACHED_INPUT.get(provider.model()));
  }

  /** Every built-in entry for {@code type}, in table order (for docs and {@code inspect}). */
  public static Map<String, Pricing> entries(ProviderType type) {
    return Collections.unmodifiableMap(table(type));
  }

  private static Map<String, Pricing> table(ProviderType type) {
    return switch (type) {
      case OPENAI -> OPENAI;
      case ANTHROPIC -> ANTHROPIC;
      case LOCAL, ECHO -> Map.of();
    };
  }

  private static void openai(String model, String input, String output) {
    OPENAI.put(model, new Pricing(new BigDecimal(input), new BigDecimal(output)));
  }

  private static void openai(String model, String input, String output, String cachedInput) {
    openai(model, input, output);
    OPENAI_CACHED_INPUT.put(model, new BigDecimal(cachedInput));
  }

  private static void anthropic(String model, String input, String output) {
    ANTHROPIC.put(model, new Pricing(new BigDecimal(input), new BigDecimal(output)));
  }
}
