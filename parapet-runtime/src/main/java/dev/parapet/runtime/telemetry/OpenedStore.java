package dev.parapet.runtime.telemetry;

import dev.parapet.core.store.HoldRecord;
import dev.parapet.core.store.TelemetryStore;
import java.util.List;
import java.util.Objects;

/**
 * The telemetry store as boot left it: open, its chain verified, and the holds a previous process
 * left open already settled at their worst case (fail closed).
 *
 * @param recoveredHolds the holds that were open when the last process died
 */
public record OpenedStore(TelemetryStore store, List<HoldRecord> recoveredHolds) {
  public OpenedStore {
    Objects.requireNonNull(store, "store");
    recoveredHolds = List.copyOf(recoveredHolds);
  }
}
