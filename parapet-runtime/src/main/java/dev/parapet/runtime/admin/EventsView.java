package dev.parapet.runtime.admin;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.parapet.core.store.EventKind;
import dev.parapet.core.store.EventRow;
import dev.parapet.core.store.StoreException;
import dev.parapet.core.store.TelemetryStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code GET /_parapet/events?since=…&kind=…&limit=…} (admin only): enforcement events, newest
 * first. {@code since} is an ISO-8601 instant ({@code 2026-11-22T05:00:00Z}, an offset is
 * accepted) or a date ({@code 2026-11-22}, from its start in UTC); {@code kind} one of the
 * lower-case kinds ({@code denied}, {@code budget_exceeded}, {@code redacted}, {@code
 * redaction_blocked}, {@code model_drift}, {@code stream_truncated}, {@code upstream_error},
 * {@code fingerprint_changed}, {@code hold_recovered}); {@code limit} 1 to 1000, default 100.
 * Answers {@code {"events":[{"time","request_id","kind","tenant","service","route","details"}]}},
 * service and route {@code null} when the event has none.
 */
final class EventsView {
  static final Set<String> PARAMS = Set.of("since", "kind", "limit");
  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 1000;
  private static final JsonFactory JSON = new JsonFactory();

  private final TelemetryStore store;

  EventsView(TelemetryStore store) {
    this.store = store;
  }

  byte[] render(QueryParameters q) throws BadParameter, StoreException {
    Optional<Instant> since = since(q.get("since"));
    Optional<EventKind> kind = kind(q.get("kind"));
    int limit = q.integer("limit", 1, MAX_LIMIT).orElse(DEFAULT_LIMIT);
    List<EventRow> rows = store.events(since, kind, limit);
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + rows.size() * 200);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeArrayFieldStart("events");
      for (EventRow e : rows) {
        g.writeStartObject();
        g.writeStringField("time", e.time().toString());
        g.writeStringField("request_id", e.requestId());
        g.writeStringField("kind", e.kind().wireName());
        g.writeStringField("tenant", e.tenant());
        g.writeStringField("service", e.service().orElse(null));
        g.writeStringField("route", e.route().orElse(null));
        g.writeObjectFieldStart("details");
        for (Map.Entry<String, String> d : e.details().entrySet()) {
          g.writeStringField(d.getKey(), d.getValue());
        }
        g.writeEndObject();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static Optional<Instant> since(Optional<String> value) throws BadParameter {
    if (value.isEmpty()) {
      return Optional.empty();
    }
    // A query decodes '+' as a space, so an offset typed as written (+01:00) arrives as " 01:00":
    // no instant holds a space, so it is the '+' back.
    String v = value.get().replace(' ', '+');
    if (v.length() == 10) {
      return Optional.of(QueryParameters.date("since", v).atStartOfDay().toInstant(ZoneOffset.UTC));
    }
    try {
      return Optional.of(OffsetDateTime.parse(v).toInstant());
    } catch (DateTimeParseException e) {
      throw new BadParameter("since: expected an ISO-8601 instant (2026-11-22T05:00:00Z) or a date YYYY-MM-DD");
    }
  }

  private static Optional<EventKind> kind(Optional<String> value) throws BadParameter {
    if (value.isEmpty()) {
      return Optional.empty();
    }
    Optional<EventKind> k = EventKind.fromWireName(value.get());
    if (k.isEmpty()) {
      throw new BadParameter("kind: expected one of " + String.join(", ",
          Arrays.stream(EventKind.values()).map(EventKind::wireName).toList()));
    }
    return k;
  }
}
