package dev.parapet.core.store;

import java.time.Duration;
import java.util.Objects;

/**
 * Deployment knobs of the telemetry store. None of them is policy: policy comes from the sealed
 * blob.
 *
 * @param maxOpenHolds how many budget holds may be open at once; bounds the ledger queue (the
 *     runtime refuses a request rather than exceed it, so a settlement always has room)
 * @param detailQueueCapacity per-request and event records waiting for the writer; beyond it they
 *     are shed (counted and logged), never blocking a caller
 * @param batchSize most items committed in one transaction
 * @param batchWindow longest the writer waits to fill a batch after its first item
 * @param busyTimeout SQLite {@code busy_timeout}: how long a statement waits for a lock
 * @param acceptBrokenChain start even though the hash chain is broken (an operator's explicit
 *     override): log each place it broke and anchor a new chain segment right after each break.
 *     The acknowledgement is durable: the next boot verifies from the new anchor without it
 */
public record StoreOptions(
    int maxOpenHolds,
    int detailQueueCapacity,
    int batchSize,
    Duration batchWindow,
    Duration busyTimeout,
    boolean acceptBrokenChain) {

  public static final int DEFAULT_MAX_OPEN_HOLDS = 4_096;
  public static final int DEFAULT_DETAIL_QUEUE_CAPACITY = 10_000;
  public static final int DEFAULT_BATCH_SIZE = 256;
  public static final Duration DEFAULT_BATCH_WINDOW = Duration.ofMillis(5);
  public static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(5);

  public StoreOptions {
    Objects.requireNonNull(batchWindow, "batchWindow");
    Objects.requireNonNull(busyTimeout, "busyTimeout");
    positive("maxOpenHolds", maxOpenHolds);
    positive("detailQueueCapacity", detailQueueCapacity);
    positive("batchSize", batchSize);
    if (batchWindow.isNegative() || batchWindow.compareTo(Duration.ofSeconds(1)) > 0) {
      throw new IllegalArgumentException(
          "batchWindow: " + batchWindow + " (expected: 0 to 1 s)");
    }
    if (busyTimeout.isNegative() || busyTimeout.toMillis() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("busyTimeout: " + busyTimeout + " (expected: >= 0)");
    }
  }

  /** The defaults: 4,096 open holds, 10,000 detail records, batches of 256 or 5 ms. */
  public static StoreOptions defaults() {
    return new StoreOptions(
        DEFAULT_MAX_OPEN_HOLDS,
        DEFAULT_DETAIL_QUEUE_CAPACITY,
        DEFAULT_BATCH_SIZE,
        DEFAULT_BATCH_WINDOW,
        DEFAULT_BUSY_TIMEOUT,
        false);
  }

  public StoreOptions withMaxOpenHolds(int n) {
    return new StoreOptions(n, detailQueueCapacity, batchSize, batchWindow, busyTimeout, acceptBrokenChain);
  }

  public StoreOptions withDetailQueueCapacity(int n) {
    return new StoreOptions(maxOpenHolds, n, batchSize, batchWindow, busyTimeout, acceptBrokenChain);
  }

  public StoreOptions withAcceptBrokenChain(boolean accept) {
    return new StoreOptions(maxOpenHolds, detailQueueCapacity, batchSize, batchWindow, busyTimeout, accept);
  }

  private static void positive(String name, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: > 0)");
    }
  }
}
