package dev.parapet.runtime.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.store.GroupBy;
import dev.parapet.core.store.RequestRecord;
import dev.parapet.core.store.StoreOptions;
import dev.parapet.core.store.TelemetryStore;
import dev.parapet.core.store.UsageRow;
import dev.parapet.runtime.metrics.BudgetGauges;
import dev.parapet.runtime.testing.TestConfigs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retention through the daily task: old rows rolled up (usage unchanged), the chain still holds. */
class DailyTasksTest {
  @TempDir Path tmp;

  private static RequestRecord row(Instant time, String id) {
    return new RequestRecord(time, id, "prod", "svc-a", "summarizer", "echo", "echo-1", Optional.empty(),
        10, 5, 1_000, 2_000, 200, Optional.empty(), List.of());
  }

  @Test
  void retentionRollsUpOldRowsAndKeepsTheChainVerifiable() throws Exception {
    byte[] k1 = new byte[32];
    byte[] k2 = new byte[32];
    new SecureRandom().nextBytes(k1);
    new SecureRandom().nextBytes(k2);
    try (TelemetryStore store = TelemetryStore.open(tmp, k1, k2, StoreOptions.defaults())) {
      Instant old = Instant.now().minus(100, ChronoUnit.DAYS);
      LocalDate oldDay = LocalDate.ofInstant(old, ZoneOffset.UTC);
      store.offerRequest(row(old, "r-old-1"));
      store.offerRequest(row(old, "r-old-2"));
      store.offerRequest(row(Instant.now(), "r-new"));
      assertTrue(store.flush(Duration.ofSeconds(5)));
      BudgetGauges budgets = new BudgetGauges(new SimpleMeterRegistry(),
          new DailyCaps(TestConfigs.config().spec()), store);
      try (DailyTasks tasks = new DailyTasks(store, budgets, 90)) {
        assertEquals(2, tasks.retention());
        assertEquals(0, tasks.retention(), "nothing left to roll up");
      }
      List<UsageRow> rolled = store.usage(oldDay, oldDay, GroupBy.ROUTE);
      assertEquals(List.of(new UsageRow("summarizer", 2, 20, 10, 2_000, 0)), rolled);
      assertTrue(store.verifyChain().ok());
    }
  }
}
