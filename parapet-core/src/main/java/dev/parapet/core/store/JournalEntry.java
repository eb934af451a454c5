package dev.parapet.core.store;

import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * One row of the {@code journal}: a request or an event, as the column values that are stored
 * and MAC'd.
 *
 * <p>Canonical form: each column rendered as an SQL literal, exactly as SQLite's {@code quote()}
 * renders it ({@code NULL}, a decimal integer, or text in single quotes with inner quotes doubled),
 * joined by commas. The literal syntax is unambiguous, so the encoding is injective. The writer
 * renders it in Java ({@link #canonical()}); the verifier has SQLite render it from the stored row
 * ({@link #SELECT_CANONICAL}), so verification reads three values per row instead of twenty-two
 * and still MACs exactly what is on disk: a value whose type was changed by hand (text for an
 * integer, a blob) renders differently and fails.
 *
 * <p>Values are {@code Long}, {@code String} or null (a column the row kind does not use).
 */
final class JournalEntry {
  static final List<String> COLUMN_NAMES =
      List.of(
          "kind", "time_us", "day", "request_id", "tenant", "service", "route", "provider",
          "model_asked", "model_reported", "tokens_in", "tokens_out", "cost_nano", "latency_us",
          "status", "error_code", "blocked", "notes", "event_kind", "details");
  static final String COLUMNS = String.join(", ", COLUMN_NAMES);
  static final int COLUMN_COUNT = COLUMN_NAMES.size();
  static final String INSERT =
      "INSERT INTO journal (seq, " + COLUMNS + ", mac) VALUES (?" + ", ?".repeat(COLUMN_COUNT + 1) + ")";
  /** seq, mac, canonical text of every row after {@code ?}, in seq order. */
  static final String SELECT_CANONICAL =
      "SELECT seq, mac, "
          + COLUMN_NAMES.stream()
              .map(c -> "quote(" + c + ")")
              .collect(java.util.stream.Collectors.joining(" || ',' || "))
          + " FROM journal WHERE seq > ? ORDER BY seq";

  static final String KIND_REQUEST = "request";
  static final String KIND_EVENT = "event";

  private final Object[] values;

  private JournalEntry(Object[] values) {
    this.values = values;
  }

  static JournalEntry of(RequestRecord r) {
    long us = micros(r.time());
    return new JournalEntry(
        new Object[] {
          KIND_REQUEST, us, r.day().toString(), r.requestId(), r.tenant(), r.service(), r.route(),
          r.provider(), r.modelAsked(), r.modelReported().orElse(null), r.tokensIn(),
          r.tokensOut(), r.costNanoUsd(), r.latencyMicros(), (long) r.status(),
          r.errorCode().orElse(null), r.blocked() ? 1L : 0L, String.join(",", r.notes()), null, null
        });
  }

  static JournalEntry of(EventRecord e) {
    long us = micros(e.time());
    return new JournalEntry(
        new Object[] {
          KIND_EVENT, us, day(us), e.requestId(), e.tenant(), e.service().orElse(null),
          e.route().orElse(null), null, null, null, null, null, null, null, null, null, null, null,
          e.kind().wireName(), RecordFields.encodeDetails(e.details())
        });
  }

  /** Binds seq, the values and the mac to {@link #INSERT}. */
  void bind(PreparedStatement ps, long seq, byte[] mac) throws SQLException {
    ps.setLong(1, seq);
    for (int i = 0; i < COLUMN_COUNT; i++) {
      ps.setObject(i + 2, values[i]);
    }
    ps.setBytes(COLUMN_COUNT + 2, mac);
  }

  /** UTF-8 of the canonical form: what {@link #SELECT_CANONICAL} returns for this row. */
  byte[] canonical() {
    StringBuilder sb = new StringBuilder(256);
    for (int i = 0; i < COLUMN_COUNT; i++) {
      if (i > 0) {
        sb.append(',');
      }
      Object o = values[i];
      if (o == null) {
        sb.append("NULL");
      } else if (o instanceof Long n) {
        sb.append(n.longValue());
      } else {
        sb.append('\'').append(o.toString().replace("'", "''")).append('\'');
      }
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  boolean isRequest() {
    return KIND_REQUEST.equals(values[0]);
  }

  /** Microseconds since the epoch, saturated: a caller's absurd {@code since} must not throw. */
  static long micros(Instant t) {
    try {
      return ChronoUnit.MICROS.between(Instant.EPOCH, t);
    } catch (ArithmeticException e) {
      return t.isBefore(Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  static Instant instant(long micros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
  }

  static String day(long micros) {
    return LocalDate.ofInstant(instant(micros), ZoneOffset.UTC).toString();
  }
}
