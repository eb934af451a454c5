package dev.parapet.core.store;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts shed per-request records and warns about them at most once per 10 s. Callers only
 * increment a counter (no logging on an event loop); the writer thread calls {@link #maybeLog()}.
 */
final class ShedWarning {
  private static final Logger LOG = LoggerFactory.getLogger(StoreWriter.class);
  private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final AtomicLong shed = new AtomicLong();
  // Writer thread only.
  private long logged;
  private long lastLogNanos = System.nanoTime() - INTERVAL_NANOS;

  void shed(long n) {
    shed.addAndGet(n);
  }

  long count() {
    return shed.get();
  }

  void maybeLog() {
    long total = shed.get();
    long now = System.nanoTime();
    if (total > logged && now - lastLogNanos >= INTERVAL_NANOS) {
      LOG.warn(
          "telemetry store: shed {} per-request records since the last warning ({} in total);"
              + " spend is unaffected",
          total - logged, total);
      logged = total;
      lastLogNanos = now;
    }
  }
}
