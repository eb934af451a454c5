package dev.parapet.runtime.limits;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway-wide bound on request bodies held at once ({@code PARAPET_MAX_BUFFERED_BODY_BYTES}).
 * Each request's body limit bounds one body; without this, every open connection could hold one
 * (10,000 connections x 4 MiB by default). A request reserves its announced length before its
 * body is read and gives it back once the body is no longer held (see {@link BodyBudgetHandler});
 * one that does not fit waits, unread, in arrival order, and is admitted as soon as the bodies
 * before it are given back. Nothing is
 * refused: admitted requests always finish (their bodies are whole within the body deadline and
 * at the minimum rate, or are cut off; their calls are bounded by the upstream timeouts), so the
 * waiting always ends.
 *
 * <p>A waiter is admitted strictly in order: a large body at the head of the line is not
 * overtaken by small ones behind it, so it cannot be starved. Shared by all connections of one
 * gateway; a lock guards the count and the line (held for a few instructions, once at each end of
 * a request that has a body).
 */
public final class BodyBudget {
  private static final Logger LOG = LoggerFactory.getLogger("parapet.limits");
  private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

  /** One request waiting for its reservation. {@link #admitted} may be called on any thread. */
  public interface Waiter {
    long bytes();

    /** The reservation is made: it is the waiter's to give back. */
    void admitted();
  }

  private final long capacity;
  private long used; // guarded by this
  private final ArrayDeque<Waiter> line = new ArrayDeque<>(); // guarded by this
  private long waitedTotal; // guarded by this
  private final AtomicLong lastWarnNanos = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);

  /** @param capacity bytes of bodies held at once; at least the largest body allowed */
  public BodyBudget(long capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive");
    }
    this.capacity = capacity;
  }

  /**
   * Reserves {@code waiter.bytes()} now, when nobody waits and they fit: true. Otherwise the waiter
   * joins the line and false is returned; {@link Waiter#admitted} follows once it is its turn and
   * the bytes fit, unless {@link #leave} takes it out first.
   */
  public boolean reserveOrWait(Waiter waiter) {
    long bytes = waiter.bytes();
    long waited;
    synchronized (this) {
      if (line.isEmpty() && used + bytes <= capacity) {
        used += bytes;
        return true;
      }
      line.addLast(waiter);
      waited = ++waitedTotal;
    }
    long last = lastWarnNanos.get();
    long now = System.nanoTime();
    // At most one line per 10 s: a flood of bodies must not become a log flood.
    if (now - last >= WARN_EVERY_NANOS && lastWarnNanos.compareAndSet(last, now)) {
      LOG.warn("request bodies wait for memory: {} bytes held (PARAPET_MAX_BUFFERED_BODY_BYTES {}); "
          + "{} requests have waited so far", usedBytes(), capacity, waited);
    }
    return false;
  }

  /** Takes a waiter out of the line: true if it was still there (and so never will be admitted). */
  public synchronized boolean leave(Waiter waiter) {
    return line.remove(waiter);
  }

  /** Gives back a reservation, admitting whoever now fits at the head of the line. */
  public void release(long bytes) {
    List<Waiter> admitted = null;
    synchronized (this) {
      used -= bytes;
      while (!line.isEmpty() && used + line.peekFirst().bytes() <= capacity) {
        Waiter next = line.pollFirst();
        used += next.bytes();
        if (admitted == null) {
          admitted = new ArrayList<>(2);
        }
        admitted.add(next);
      }
    }
    if (admitted != null) {
      for (Waiter w : admitted) {
        w.admitted(); // outside the lock: a waiter hands over to its own event loop
      }
    }
  }

  /** Bytes reserved now. */
  public synchronized long usedBytes() {
    return used;
  }

  /** Requests waiting now. */
  public synchronized int waiting() {
    return line.size();
  }

  public long capacity() {
    return capacity;
  }
}
