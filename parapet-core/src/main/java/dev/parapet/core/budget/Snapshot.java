package dev.parapet.core.budget;

import java.time.LocalDate;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A consistent view of one UTC day's spend (taken under the ledger's lock), for the usage
 * surface and the metrics gauges.
 *
 * @param routes by route name
 * @param tenants by tenant name
 */
public record Snapshot(LocalDate day, Map<String, Usage> routes, Map<String, Usage> tenants) {
  public Snapshot {
    Objects.requireNonNull(day, "day");
    routes = Map.copyOf(routes);
    tenants = Map.copyOf(tenants);
  }

  /**
   * One scope's money on the day, in nano-USD.
   *
   * @param capNanos the cap last declared or used for this scope; empty when it has none (an
   *     uncapped tenant) or none is known yet
   * @param remainingNanos {@code cap − settled − held}, floored at 0; empty without a cap
   */
  public record Usage(long settledNanos, long heldNanos, OptionalLong capNanos, OptionalLong remainingNanos) {
    public Usage {
      Objects.requireNonNull(capNanos, "capNanos");
      Objects.requireNonNull(remainingNanos, "remainingNanos");
    }
  }
}
