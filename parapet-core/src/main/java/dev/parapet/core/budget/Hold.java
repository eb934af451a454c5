package dev.parapet.core.budget;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A reservation of a call's worst-case cost against its route's and tenant's budget for one UTC
 * day. It is settled or released exactly once, on the day it was taken, whatever the day is then.
 *
 * @param id unique per hold, stable across the journal (the store keys open holds by it)
 * @param day the UTC day the hold counts against
 * @param persisted completes once the journal has made the hold durable; the runtime waits for
 *     it before forwarding, and on failure releases the hold and refuses, so that a crash can
 *     never forget a reservation that reached a provider
 */
public record Hold(
    String id,
    LocalDate day,
    String route,
    String tenant,
    long worstCaseNanos,
    Instant takenAt,
    CompletableFuture<Void> persisted) {
  public Hold {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(day, "day");
    Objects.requireNonNull(route, "route");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(takenAt, "takenAt");
    Objects.requireNonNull(persisted, "persisted");
    if (worstCaseNanos < 0) {
      throw new IllegalArgumentException("worstCaseNanos: " + worstCaseNanos + " (expected: >= 0)");
    }
  }

  /** Identity is the id: the future is bookkeeping, not part of what the hold is. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Hold h && h.id.equals(id);
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  @Override
  public String toString() {
    return "Hold[" + id + ", " + day + ", route=" + route + ", tenant=" + tenant
        + ", worstCaseNanos=" + worstCaseNanos + "]";
  }
}
