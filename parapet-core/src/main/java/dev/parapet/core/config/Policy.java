package dev.parapet.core.config;

import java.math.BigDecimal;
import java.util.Objects;

/** {@code routes[].policy}: what a call on the route may ask for and spend. */
public record Policy(
    int maxTokensIn,
    int maxTokensOut,
    BigDecimal budgetDailyUsd,
    boolean driftStrict,
    RedactionPolicy redaction) {
  public Policy {
    if (maxTokensIn < 1) {
      throw new IllegalArgumentException("max_tokens_in: " + maxTokensIn + " (expected: >= 1)");
    }
    if (maxTokensOut < 1) {
      throw new IllegalArgumentException("max_tokens_out: " + maxTokensOut + " (expected: >= 1)");
    }
    Objects.requireNonNull(budgetDailyUsd, "budget_daily_usd");
    if (budgetDailyUsd.signum() < 0) {
      throw new IllegalArgumentException(
          "budget_daily_usd: " + budgetDailyUsd + " (expected: >= 0)");
    }
    budgetDailyUsd = budgetDailyUsd.stripTrailingZeros();
    Objects.requireNonNull(redaction, "redaction");
  }
}
