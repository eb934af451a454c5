package dev.parapet.core.store;

import java.time.LocalDate;
import java.util.Objects;

/** Settles hold {@code holdId}: the actual cost is added to the day's spend of route and tenant. */
public record SettlementRecord(
    String holdId, LocalDate day, String route, String tenant, long actualNanoUsd) {
  public SettlementRecord {
    RecordFields.name("holdId", holdId);
    Objects.requireNonNull(day, "day");
    RecordFields.name("route", route);
    RecordFields.name("tenant", tenant);
    RecordFields.nonNegative("actualNanoUsd", actualNanoUsd);
  }
}
