package dev.parapet.core.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.parapet.core.config.Pricing;
import java.math.BigDecimal;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CostTest {
  @Test
  void pricesPerMillionBecomeNanosPerToken() {
    // $2.50 per 1M tokens = 2500 nano-USD per token.
    assertEquals(2_500L, Cost.nanoUsd(1, new BigDecimal("2.50")));
    assertEquals(2_500_000_000L, Cost.nanoUsd(1_000_000, new BigDecimal("2.50")));
    assertEquals(0L, Cost.nanoUsd(0, new BigDecimal("2.50")));
    assertEquals(0L, Cost.nanoUsd(1_000, BigDecimal.ZERO));
  }

  @Test
  void fractionsRoundUp() {
    // $0.0001 per 1M = 0.1 nano per token: one token still costs a whole nano.
    assertEquals(1L, Cost.nanoUsd(1, new BigDecimal("0.0001")));
    assertEquals(1L, Cost.nanoUsd(10, new BigDecimal("0.0001")));
    assertEquals(2L, Cost.nanoUsd(11, new BigDecimal("0.0001")));
  }

  @Test
  void saturatesInsteadOfWrapping() {
    assertEquals(Long.MAX_VALUE, Cost.nanoUsd(Long.MAX_VALUE, new BigDecimal("1000")));
    assertEquals(Long.MAX_VALUE, Cost.saturatedAdd(Long.MAX_VALUE, 1));
    assertEquals(Long.MAX_VALUE, Cost.actual(new Pricing(new BigDecimal("1e9"), new BigDecimal("1e9")),
        Long.MAX_VALUE / 2, Long.MAX_VALUE / 2));
  }

  @Test
  void worstCaseAndActualUseBothPrices() {
    Pricing p = new Pricing(new BigDecimal("2.50"), new BigDecimal("10.00"));
    assertEquals(1_000 * 2_500L + 2_000 * 10_000L, Cost.worstCase(p, 1_000, 2_000));
    assertEquals(1_000 * 2_500L + 10 * 10_000L, Cost.actual(p, 1_000, 10));
  }

  /** Cached input tokens at their own rate; never above the same tokens at the full input price. */
  @Test
  void cachedInputTokensCostTheirOwnRateAndNeverMore() {
    Pricing gpt4o = new Pricing(new BigDecimal("2.50"), new BigDecimal("10.00"));
    Optional<BigDecimal> half = Optional.of(new BigDecimal("1.25"));
    assertEquals(128 * 2_500L + 1_920 * 1_250L + 100 * 10_000L, Cost.actual(gpt4o, 2048, 1920, half, 100));
    assertEquals(Cost.actual(gpt4o, 2048, 100), Cost.actual(gpt4o, 2048, 1920, Optional.empty(), 100), "no rate");
    assertEquals(Cost.actual(gpt4o, 2048, 100), Cost.actual(gpt4o, 2048, 0, half, 100), "nothing cached");
    assertEquals(2048 * 1_250L + 100 * 10_000L, Cost.actual(gpt4o, 2048, 99_999, half, 100), "at most every input token");
    // each part rounds up on its own: never more than the tokens at the full price
    Pricing odd = new Pricing(new BigDecimal("0.0000001"), BigDecimal.ZERO);
    Optional<BigDecimal> same = Optional.of(new BigDecimal("0.0000001"));
    assertEquals(Cost.actual(odd, 3, 0), Cost.actual(odd, 3, 1, same, 0));
  }

  @Test
  void capsRoundDownAndDisplayIsExact() {
    assertEquals(500_000_000_000L, Cost.capNanos(new BigDecimal("500")));
    assertEquals(1L, Cost.capNanos(new BigDecimal("0.0000000019")));
    assertEquals(new BigDecimal("0.000002500"), Cost.toUsd(2_500));
  }

  @Test
  void rejectsNegatives() {
    assertThrows(IllegalArgumentException.class, () -> Cost.nanoUsd(-1, BigDecimal.ONE));
    assertThrows(IllegalArgumentException.class, () -> Cost.nanoUsd(1, new BigDecimal("-1")));
    assertThrows(IllegalArgumentException.class, () -> Cost.capNanos(new BigDecimal("-1")));
  }
}
