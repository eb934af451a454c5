package dev.parapet.runtime.metrics;

import dev.parapet.core.budget.Cost;
import dev.parapet.core.store.SpendKey;
import dev.parapet.core.store.StoreException;
import dev.parapet.core.store.TelemetryStore;
import dev.parapet.runtime.telemetry.DailyCaps;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code parapet_budget_remaining_usd{scope="route"|"tenant",name}}: what is left of each daily cap
 * today (UTC), from the store's settled spend. The store is read by {@link #refresh()} on the
 * background scheduler every few seconds, never by a scrape and never on an event loop; the gauges
 * read the last snapshot.
 */
public final class BudgetGauges {
  private final TelemetryStore store;
  private volatile Map<SpendKey, Long> spent = Map.of();

  public BudgetGauges(MeterRegistry registry, DailyCaps caps, TelemetryStore store) {
    this.store = store;
    for (Map.Entry<SpendKey, Optional<Long>> e : caps.all().entrySet()) {
      if (e.getValue().isEmpty()) {
        continue; // a tenant without a cap of its own has nothing to run out of
      }
      SpendKey key = e.getKey();
      long cap = e.getValue().get();
      Gauge.builder("parapet.budget.remaining.usd", this, g -> g.remainingUsd(key, cap))
          .description("What is left of the daily cap today (UTC), from settled spend")
          .tags("scope", key.scope().name().toLowerCase(Locale.ROOT), "name", key.name())
          .register(registry);
    }
  }

  /** Re-reads today's settled spend; blocks on the store (call from the scheduler thread). */
  public void refresh() throws StoreException {
    spent = store.spendForDay(LocalDate.now(ZoneOffset.UTC));
  }

  private double remainingUsd(SpendKey key, long cap) {
    return Cost.toUsd(DailyCaps.remaining(cap, spent.getOrDefault(key, 0L))).doubleValue();
  }
}
