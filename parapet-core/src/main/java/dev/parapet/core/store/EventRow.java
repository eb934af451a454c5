package dev.parapet.core.store;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** An enforcement event as stored, with its journal sequence number. */
public record EventRow(
    long seq,
    Instant time,
    String requestId,
    EventKind kind,
    String tenant,
    Optional<String> service,
    Optional<String> route,
    Map<String, String> details) {
  public EventRow {
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(route, "route");
    details = Map.copyOf(details);
  }
}
