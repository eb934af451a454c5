package dev.parapet.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.store.HoldRecord;
import dev.parapet.core.store.RequestRecord;
import dev.parapet.core.store.StoreFaults;
import dev.parapet.core.store.StoreOptions;
import dev.parapet.core.store.TelemetryStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A telemetry store whose disk fails is visible in the scrape: failed transactions have a counter
 * of their own, and the shed counter's help does not claim every dropped row was a full queue.
 */
class StoreMetricsTest {
  @TempDir Path dir;

  @Test
  void writeFailuresAreExportedAndShedHelpNamesBothCauses() throws Exception {
    byte[] storeKey = new byte[32];
    byte[] macKey = new byte[32];
    Arrays.fill(macKey, (byte) 7);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (TelemetryStore store = TelemetryStore.open(dir, storeKey, macKey, StoreOptions.defaults());
        ProcessMeters meters = new ProcessMeters(registry, store)) {
      Instant now = Instant.now();
      StoreFaults.pause(store); // row and hold in one batch, which fails; the row's retry fails too
      assertTrue(store.offerRequest(new RequestRecord(now, "r1", "prod", "svc", "summarizer", "openai",
          "gpt-4o", Optional.empty(), 1, 1, 1, 10, 200, Optional.empty(), List.of())));
      var hold = store.persistHold(new HoldRecord("h1", LocalDate.of(2026, 11, 20), "summarizer", "prod", 5, now));
      StoreFaults.failNextCommits(store, 2);
      StoreFaults.resume(store);
      assertThrows(ExecutionException.class, () -> hold.get(10, TimeUnit.SECONDS));
      assertTrue(store.flush(Duration.ofSeconds(10)));

      String text = registry.scrape();
      assertTrue(text.contains("\nparapet_telemetry_write_failures_total " + (double) store.writeFailures() + "\n"),
          "write failures exported:\n" + text);
      assertTrue(store.writeFailures() >= 2);
      assertEquals(1L, store.shedCount(), "the row was shed after two failed writes");
      String shedHelp = text.lines().filter(l -> l.startsWith("# HELP parapet_telemetry_shed_total ")).findFirst().orElseThrow();
      assertFalse(shedHelp.endsWith("because the telemetry queue was full"), shedHelp);
      assertTrue(shedHelp.contains("failed"), "the help names failed writes: " + shedHelp);
    } finally {
      registry.close();
    }
  }
}
