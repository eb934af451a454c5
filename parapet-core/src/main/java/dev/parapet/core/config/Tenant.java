package dev.parapet.core.config;

import java.math.BigDecimal;
import java.util.Objects;
import java.util.Optional;

/**
 * An accounting and policy boundary ({@code tenants[]}).
 *
 * @param dailyUsdCap {@code spend.daily_usd_cap}: the tenant's total spend per UTC day, over all
 *     its routes; empty means only the routes' own budgets apply
 */
public record Tenant(String name, Optional<BigDecimal> dailyUsdCap, Optional<String> notes) {
  public Tenant {
    Names.requireMatch(Names.IDENTIFIER, "name", name);
    Objects.requireNonNull(dailyUsdCap, "dailyUsdCap");
    Objects.requireNonNull(notes, "notes");
    dailyUsdCap.ifPresent(
        cap -> {
          if (cap.signum() < 0) {
            throw new IllegalArgumentException("spend.daily_usd_cap: " + cap + " (expected: >= 0)");
          }
        });
    dailyUsdCap = dailyUsdCap.map(BigDecimal::stripTrailingZeros);
  }
}
