package dev.parapet.runtime.telemetry;

import dev.parapet.core.budget.Cost;
import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.store.SpendKey;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Every daily cap of the spec in nano-USD, rounded down as the ledger does: each route's {@code
 * budget_daily_usd}, and each tenant's {@code spend.daily_usd_cap} where it has one. Routes first,
 * then tenants, each in the order of the opened config.
 */
public final class DailyCaps {
  private final Map<SpendKey, Optional<Long>> caps;

  public DailyCaps(ParapetSpec spec) {
    Map<SpendKey, Optional<Long>> m = new LinkedHashMap<>();
    for (Route r : spec.routes()) {
      m.put(SpendKey.route(r.name()), Optional.of(Cost.capNanos(r.policy().budgetDailyUsd())));
    }
    for (Tenant t : spec.tenants()) {
      m.put(SpendKey.tenant(t.name()), t.dailyUsdCap().map(Cost::capNanos));
    }
    this.caps = Collections.unmodifiableMap(m);
  }

  /** Every route and tenant, with its cap (empty: a tenant without its own cap). */
  public Map<SpendKey, Optional<Long>> all() {
    return caps;
  }

  /** What is left of {@code cap} after {@code spent}, never below zero. */
  public static long remaining(long cap, long spent) {
    return Math.max(0, cap - spent);
  }
}
