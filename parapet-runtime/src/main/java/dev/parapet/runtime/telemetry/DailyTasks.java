package dev.parapet.runtime.telemetry;

import dev.parapet.core.store.StoreException;
import dev.parapet.core.store.TelemetryStore;
import dev.parapet.runtime.metrics.BudgetGauges;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's background work, on one scheduler thread (never an event loop): every {@value
 * #BUDGET_REFRESH_SECONDS} s the budget gauges re-read today's settled spend, and once a day
 * (first a minute after boot) retention rolls per-request rows older than {@code keepDays} into
 * daily aggregates ({@link TelemetryStore#applyRetention}, which verifies the chain first and
 * refuses on a broken one: that is logged as an error, and tried again the next day).
 */
final class DailyTasks implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("parapet.telemetry");
  static final long BUDGET_REFRESH_SECONDS = 10;
  private static final long RETENTION_FIRST_DELAY_SECONDS = 60;

  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("parapet-telemetry-tasks", true));
  private final TelemetryStore store;
  private final int keepDays;

  DailyTasks(TelemetryStore store, BudgetGauges budgets, int keepDays) {
    this.store = store;
    this.keepDays = keepDays;
    scheduler.scheduleWithFixedDelay(() -> refresh(budgets), 0, BUDGET_REFRESH_SECONDS, TimeUnit.SECONDS);
    scheduler.scheduleAtFixedRate(this::retention, RETENTION_FIRST_DELAY_SECONDS,
        TimeUnit.DAYS.toSeconds(1), TimeUnit.SECONDS);
  }

  private static void refresh(BudgetGauges budgets) {
    try {
      budgets.refresh();
    } catch (StoreException | RuntimeException e) {
      LOG.warn("budget gauges not refreshed: {}", e.getMessage());
    }
  }

  /** Applies retention once, now; returns the rows deleted (-1 when it failed, logged). */
  int retention() {
    try {
      int deleted = store.applyRetention(LocalDate.now(ZoneOffset.UTC), keepDays);
      LOG.info("retention: rolled up and deleted {} telemetry rows older than {} days", deleted, keepDays);
      return deleted;
    } catch (StoreException | RuntimeException e) {
      LOG.error("retention failed: {}", e.getMessage());
      return -1;
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
