package dev.parapet.runtime.policy.budget;

import dev.parapet.core.budget.BudgetLedger;
import dev.parapet.core.budget.Cost;
import dev.parapet.core.budget.LedgerJournal;
import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Pricing;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.pricing.PriceTable;
import dev.parapet.core.store.SpendKey;
import dev.parapet.core.store.StoreException;
import dev.parapet.core.store.TelemetryStore;
import java.time.Clock;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * What every connection's {@link BudgetHandler} shares: the one {@link BudgetLedger} of the
 * process and the caps of the spec in nano-USD. Built once at boot, after the store recovered the
 * holds a crashed process left open: today's settled spend (those holds included, at their worst
 * case) is loaded from the store, so a restart or a crash loop never resets a cap.
 */
public final class Budgets {
  private final BudgetLedger ledger;
  private final Clock clock;
  private final Map<String, Long> routeCaps = new HashMap<>();
  private final Map<String, OptionalLong> tenantCaps = new HashMap<>();

  private Budgets(BudgetLedger ledger, ParapetSpec spec, Clock clock) {
    this.ledger = ledger;
    this.clock = clock;
    Map<String, Long> declaredTenants = new HashMap<>();
    for (Route r : spec.routes()) {
      routeCaps.put(r.name(), Cost.capNanos(r.policy().budgetDailyUsd()));
    }
    for (Tenant t : spec.tenants()) {
      OptionalLong cap = t.dailyUsdCap().map(c -> OptionalLong.of(Cost.capNanos(c))).orElse(OptionalLong.empty());
      tenantCaps.put(t.name(), cap);
      cap.ifPresent(c -> declaredTenants.put(t.name(), c));
    }
    ledger.declareCaps(routeCaps, declaredTenants);
  }

  /**
   * The production budget: journaled to {@code store}, seeded with today's spend from it.
   *
   * @param maxOpenHolds the store's own hold capacity, so the ledger never grants a hold the store
   *     would refuse
   */
  public static Budgets open(TelemetryStore store, ParapetSpec spec, Clock clock, int maxOpenHolds)
      throws StoreException {
    Objects.requireNonNull(store, "store");
    BudgetLedger ledger = new BudgetLedger(new StoreJournal(store), maxOpenHolds);
    LocalDate today = LocalDate.now(clock.withZone(java.time.ZoneOffset.UTC));
    Map<String, Long> routes = new HashMap<>();
    Map<String, Long> tenants = new HashMap<>();
    for (Map.Entry<SpendKey, Long> e : store.spendForDay(today).entrySet()) {
      (e.getKey().scope() == SpendKey.Scope.ROUTE ? routes : tenants).put(e.getKey().name(), e.getValue());
    }
    ledger.load(today, routes, tenants);
    return new Budgets(ledger, spec, clock);
  }

  /** A budget that remembers nothing across restarts (handler tests). */
  public static Budgets inMemory(ParapetSpec spec, Clock clock, int maxOpenHolds) {
    return new Budgets(new BudgetLedger(LedgerJournal.NONE, maxOpenHolds), spec, clock);
  }

  /** Over any journal (tests that fail or delay persistence). */
  public static Budgets over(LedgerJournal journal, ParapetSpec spec, Clock clock, int maxOpenHolds) {
    return new Budgets(new BudgetLedger(journal, maxOpenHolds), spec, clock);
  }

  /** Whether calls on {@code route} cost anything (its effective price is not zero both ways). */
  public static boolean priced(Route route) {
    return priced(PriceTable.effective(route.provider()));
  }

  /** Whether calls at {@code pricing} cost anything. */
  static boolean priced(Pricing pricing) {
    return pricing.inputPer1mUsd().signum() != 0 || pricing.outputPer1mUsd().signum() != 0;
  }

  public BudgetLedger ledger() {
    return ledger;
  }

  Clock clock() {
    return clock;
  }

  long routeCap(Route route) {
    Long cap = routeCaps.get(route.name());
    return cap != null ? cap : Cost.capNanos(route.policy().budgetDailyUsd());
  }

  /** Empty when the tenant has no {@code spend.daily_usd_cap} (or is unknown: routes still cap). */
  OptionalLong tenantCap(String tenant) {
    return tenantCaps.getOrDefault(tenant, OptionalLong.empty());
  }
}
