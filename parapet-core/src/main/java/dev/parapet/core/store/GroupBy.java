package dev.parapet.core.store;

/** How {@link TelemetryStore#usage} groups its rows ({@code group_by=} of SPEC §4). */
public enum GroupBy {
  TENANT,
  ROUTE,
  SERVICE,
  /** UTC calendar day, {@code YYYY-MM-DD}. */
  DAY
}
