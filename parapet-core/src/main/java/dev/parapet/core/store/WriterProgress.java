package dev.parapet.core.store;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts work submitted to the writer and work finished (committed, shed or failed), so {@link
 * #await} can wait for "everything queued before now" without a marker in the queues.
 */
final class WriterProgress {
  private final AtomicLong submitted = new AtomicLong();
  private final AtomicLong finished = new AtomicLong();

  void submitted() {
    submitted.incrementAndGet();
  }

  void finished(int n) {
    if (n > 0) {
      finished.addAndGet(n);
      synchronized (this) {
        notifyAll();
      }
    }
  }

  /**
   * Waits until the work submitted before the call has finished, calling {@code nudge} (which
   * wakes the writer) while it waits. False on timeout or interrupt.
   */
  boolean await(Duration timeout, Runnable nudge) {
    long target = submitted.get();
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      while (finished.get() < target) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        nudge.run();
        try {
          TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
    return true;
  }
}
