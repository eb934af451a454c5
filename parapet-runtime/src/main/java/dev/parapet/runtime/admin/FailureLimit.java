package dev.parapet.runtime.admin;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * At most {@code maxFailures} failed logins per client address per window: past it, the address
 * is answered 429 without any password being checked, until its window ends. This is what keeps
 * basic auth from being an online guessing oracle and an Argon2 CPU amplifier. Bounded: when the
 * table is full (many addresses at once), expired windows go first, and addresses that still do
 * not fit share one overflow window, so a flood from many addresses is limited as one client.
 */
final class FailureLimit {
  private static final class Window {
    long startNanos;
    int failures;

    Window(long startNanos) {
      this.startNanos = startNanos;
    }
  }

  private final ConcurrentHashMap<InetAddress, Window> windows = new ConcurrentHashMap<>();
  private final Window overflow;
  private final int maxFailures;
  private final long windowNanos;
  private final int maxClients;
  private final LongSupplier clock;

  FailureLimit(int maxFailures, long windowNanos, int maxClients, LongSupplier clock) {
    this.maxFailures = maxFailures;
    this.windowNanos = windowNanos;
    this.maxClients = maxClients;
    this.clock = clock;
    this.overflow = new Window(clock.getAsLong());
  }

  /** Whether {@code client} has used up its failures for the current window. */
  boolean blocked(InetAddress client) {
    Window w = windows.get(client);
    if (w == null && windows.size() >= maxClients) {
      w = overflow;
    }
    if (w == null) {
      return false;
    }
    synchronized (w) {
      roll(w, clock.getAsLong());
      return w.failures >= maxFailures;
    }
  }

  /** Counts one failed login of {@code client}. */
  void failed(InetAddress client) {
    long now = clock.getAsLong();
    Window w = windows.get(client);
    if (w == null) {
      if (windows.size() >= maxClients) {
        windows.values().removeIf(x -> expired(x, now));
      }
      w = windows.size() >= maxClients ? overflow : windows.computeIfAbsent(client, c -> new Window(now));
    }
    synchronized (w) {
      roll(w, now);
      w.failures++;
    }
  }

  private boolean expired(Window w, long now) {
    synchronized (w) {
      return now - w.startNanos >= windowNanos;
    }
  }

  private void roll(Window w, long now) {
    if (now - w.startNanos >= windowNanos) {
      w.startNanos = now;
      w.failures = 0;
    }
  }
}
