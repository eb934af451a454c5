package dev.parapet.core.store;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One enforcement event. {@code details} are bounded counts and codes ({@code EMAIL=2}, {@code
 * reported=gpt-4o-2024-11-20}): at most 16 entries, identifier keys, values cut to 128 characters
 * of a narrow alphabet — never the matched text.
 */
public record EventRecord(
    Instant time,
    String requestId,
    EventKind kind,
    String tenant,
    Optional<String> service,
    Optional<String> route,
    Map<String, String> details) {

  public EventRecord {
    Objects.requireNonNull(time, "time");
    RecordFields.name("requestId", requestId);
    Objects.requireNonNull(kind, "kind");
    RecordFields.name("tenant", tenant);
    RecordFields.optionalName("service", service);
    RecordFields.optionalName("route", route);
    details = RecordFields.details(details);
  }
}
