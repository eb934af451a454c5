package dev.parapet.core.store;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Objects;

/**
 * A budget hold: the worst-case cost reserved against a route's and its tenant's cap for {@code
 * day} (UTC) before a call is forwarded. Durable before the call goes out, so a crash settles it at
 * its worst case rather than forgetting it.
 */
public record HoldRecord(
    String holdId, LocalDate day, String route, String tenant, long worstCaseNanoUsd, Instant created) {
  public HoldRecord {
    RecordFields.name("holdId", holdId);
    Objects.requireNonNull(day, "day");
    RecordFields.name("route", route);
    RecordFields.name("tenant", tenant);
    RecordFields.nonNegative("worstCaseNanoUsd", worstCaseNanoUsd);
    Objects.requireNonNull(created, "created");
  }
}
