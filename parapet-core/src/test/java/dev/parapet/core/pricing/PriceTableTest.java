package dev.parapet.core.pricing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.Pricing;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PriceTableTest {
  private static Pricing price(String in, String out) {
    return new Pricing(new BigDecimal(in), new BigDecimal(out));
  }

  private static ProviderSpec provider(ProviderType type, String model, Optional<Pricing> pricing) {
    return new ProviderSpec(type, model, Optional.empty(), Optional.empty(), List.of(), pricing, 1000);
  }

  @Test
  void looksUpExactModelIds() {
    assertEquals(Optional.of(price("2.50", "10.00")), PriceTable.builtIn(ProviderType.OPENAI, "gpt-4o-2024-08-06"));
    assertEquals(Optional.of(price("5", "15")), PriceTable.builtIn(ProviderType.OPENAI, "gpt-4o-2024-05-13"));
    assertEquals(Optional.of(price("0.15", "0.60")), PriceTable.builtIn(ProviderType.OPENAI, "gpt-4o-mini"));
    assertEquals(Optional.of(price("0.05", "0.40")), PriceTable.builtIn(ProviderType.OPENAI, "gpt-5-nano-2025-08-07"));
    assertEquals(Optional.of(price("0.80", "4")), PriceTable.builtIn(ProviderType.ANTHROPIC, "claude-3-5-haiku-20241022"));
    assertEquals(Optional.of(price("5", "25")), PriceTable.builtIn(ProviderType.ANTHROPIC, "claude-opus-4-5"));
    assertEquals(Optional.empty(), PriceTable.builtIn(ProviderType.OPENAI, "gpt-4o-mini-2099-01-01"));
    assertEquals(Optional.empty(), PriceTable.builtIn(ProviderType.OPENAI, "GPT-4O"));
    // a model is priced under its own provider only
    assertEquals(Optional.empty(), PriceTable.builtIn(ProviderType.ANTHROPIC, "gpt-4o"));
    assertEquals(Optional.empty(), PriceTable.builtIn(ProviderType.LOCAL, "gpt-4o"));
  }

  /**
   * OpenAI's cached-input price applies only to a route priced from the built-in table: a route's
   * own pricing has no cached rate, and a model without a discount (or another provider) has none.
   */
  @Test
  void aCachedInputPriceOnlyForBuiltInOpenAiPrices() {
    assertEquals(Optional.of(new BigDecimal("1.25")),
        PriceTable.cachedInput(provider(ProviderType.OPENAI, "gpt-4o-2024-08-06", Optional.empty())));
    assertEquals(Optional.of(new BigDecimal("0.125")),
        PriceTable.cachedInput(provider(ProviderType.OPENAI, "gpt-5", Optional.empty())));
    assertEquals(Optional.empty(),
        PriceTable.cachedInput(provider(ProviderType.OPENAI, "gpt-4o-2024-08-06", Optional.of(price("2", "8")))));
    assertEquals(Optional.empty(), PriceTable.cachedInput(provider(ProviderType.OPENAI, "gpt-4o-2024-05-13", Optional.empty())));
    assertEquals(Optional.empty(), PriceTable.cachedInput(provider(ProviderType.ANTHROPIC, "claude-opus-4-5", Optional.empty())));
    for (var e : PriceTable.entries(ProviderType.OPENAI).entrySet()) {
      PriceTable.cachedInput(provider(ProviderType.OPENAI, e.getKey(), Optional.empty())).ifPresent(rate ->
          assertTrue(rate.signum() > 0 && rate.compareTo(e.getValue().inputPer1mUsd()) < 0, e.getKey() + ": " + rate));
    }
  }

  @Test
  void everyEntryIsNonNegativeAndTheDateIsShown() {
    assertEquals("2025-11-25", PriceTable.AS_OF);
    assertEquals(30, PriceTable.entries(ProviderType.OPENAI).size());
    assertEquals(18, PriceTable.entries(ProviderType.ANTHROPIC).size());
    for (ProviderType type : ProviderType.values()) {
      PriceTable.entries(type).values().forEach(p -> assertTrue(p.inputPer1mUsd().signum() >= 0 && p.outputPer1mUsd().signum() >= 0));
    }
  }

  @Test
  void effectivePrefersTheOverrideThenTheTableThenFreeForEcho() {
    Pricing override = price("1", "2");
    assertEquals(override, PriceTable.effective(provider(ProviderType.OPENAI, "gpt-4o", Optional.of(override))));
    assertEquals(price("2.50", "10"), PriceTable.effective(provider(ProviderType.OPENAI, "gpt-4o", Optional.empty())));
    assertEquals(Pricing.FREE, PriceTable.effective(provider(ProviderType.ECHO, "echo-1", Optional.empty())));
    assertThrows(IllegalStateException.class, () -> PriceTable.effective(provider(ProviderType.LOCAL, "llama", Optional.empty())));
  }
}
