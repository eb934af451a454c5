package dev.parapet.core.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;

/**
 * One row of the {@code journal}: a request or an event, as the column values that are stored
 * and MAC'd. The MAC is computed over exactly what is written (and recomputed from what is read),
 * so there is one encoding and no chance for the writer and the verifier to disagree on a field.
 *
 * <p>Values are {@code Long}, {@code String} or null (a column the row kind does not use).
 */
final class JournalEntry {
  static final String COLUMNS =
      "kind, time_us, day, request_id, tenant, service, route, provider, model_asked,"
          + " model_reported, tokens_in, tokens_out, cost_nano, latency_us, status, error_code,"
          + " blocked, notes, event_kind, details";
  static final int COLUMN_COUNT = 20;
  static final String INSERT =
      "INSERT INTO journal (seq, " + COLUMNS + ", mac) VALUES (?" + ", ?".repeat(COLUMN_COUNT + 1) + ")";
  static final String SELECT_FROM =
      "SELECT seq, " + COLUMNS + ", mac FROM journal WHERE seq > ? ORDER BY seq";

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
          KIND_REQUEST, us, day(us), r.requestId(), r.tenant(), r.service(), r.route(),
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

  /** Reads columns 2..21 of a row selected with {@link #SELECT_FROM} (column 1 is seq). */
  static JournalEntry read(ResultSet rs) throws SQLException {
    Object[] v = new Object[COLUMN_COUNT];
    for (int i = 0; i < COLUMN_COUNT; i++) {
      Object o = rs.getObject(i + 2);
      if (o instanceof Integer n) {
        o = n.longValue();
      } else if (o instanceof byte[] b) {
        // A text column rewritten as a blob by hand: compare as its bytes, it will not verify.
        o = new String(b, StandardCharsets.ISO_8859_1);
      } else if (o instanceof Double d) {
        o = d.toString();
      }
      v[i] = o;
    }
    return new JournalEntry(v);
  }

  /** Binds seq, the values and the mac to {@link #INSERT}. */
  void bind(PreparedStatement ps, long seq, byte[] mac) throws SQLException {
    ps.setLong(1, seq);
    for (int i = 0; i < COLUMN_COUNT; i++) {
      ps.setObject(i + 2, values[i]);
    }
    ps.setBytes(COLUMN_COUNT + 2, mac);
  }

  /**
   * The bytes the row MAC covers after the tag and previous MAC: seq, then each column as a type
   * byte (0 null, 1 integer, 2 text) and its value (8 bytes big-endian, or 4-byte length + UTF-8).
   * Length prefixes make the encoding injective, so two different rows never share bytes.
   */
  byte[] canonical(long seq) {
    byte[][] texts = new byte[COLUMN_COUNT][];
    int size = 8;
    for (int i = 0; i < COLUMN_COUNT; i++) {
      Object o = values[i];
      if (o == null) {
        size += 1;
      } else if (o instanceof Long) {
        size += 9;
      } else {
        texts[i] = o.toString().getBytes(StandardCharsets.UTF_8);
        size += 5 + texts[i].length;
      }
    }
    ByteBuffer b = ByteBuffer.allocate(size).putLong(seq);
    for (int i = 0; i < COLUMN_COUNT; i++) {
      Object o = values[i];
      if (o == null) {
        b.put((byte) 0);
      } else if (o instanceof Long n) {
        b.put((byte) 1).putLong(n);
      } else {
        b.put((byte) 2).putInt(texts[i].length).put(texts[i]);
      }
    }
    return b.array();
  }

  boolean isRequest() {
    return KIND_REQUEST.equals(values[0]);
  }

  List<Object> values() {
    return Arrays.asList(values.clone());
  }

  static long micros(Instant t) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, t);
  }

  static String day(long micros) {
    return LocalDate.ofInstant(
            Instant.EPOCH.plus(micros, ChronoUnit.MICROS), ZoneOffset.UTC)
        .toString();
  }
}
