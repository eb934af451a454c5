package dev.parapet.core.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Read queries behind {@code /_parapet/usage} and {@code /_parapet/events}. All values are bound
 * parameters; the only text spliced into SQL is a column name chosen from {@link GroupBy} here.
 */
final class UsageQueries {
  /**
   * Refusal codes that count as "blocked": decisions of policy (SPEC §4), not malformed requests
   * ({@code invalid_request}), bad credentials ({@code invalid_token}), transport limits ({@code
   * request_too_large}, {@code method_not_allowed}) or provider failures. {@code model_drift} is
   * included: the answer was withheld by policy even though the provider was paid.
   */
  static final Set<String> BLOCKING_CODES =
      Set.of(
          "route_forbidden",
          "model_not_allowed",
          "max_tokens_in_exceeded",
          "budget_exceeded",
          "redaction_blocked",
          "model_drift");

  /** Most events one query returns. */
  static final int MAX_EVENTS = 1_000;

  private static final String USAGE_TEMPLATE =
      "SELECT g, SUM(requests), SUM(tokens_in), SUM(tokens_out), SUM(cost_nano), SUM(blocked)"
          + " FROM ("
          + "  SELECT %1$s AS g, 1 AS requests, tokens_in, tokens_out, cost_nano, blocked"
          + "  FROM journal WHERE kind = 'request' AND day BETWEEN ? AND ?"
          + "  UNION ALL"
          + "  SELECT %1$s AS g, requests, tokens_in, tokens_out, cost_nano, blocked"
          + "  FROM daily_rollup WHERE day BETWEEN ? AND ?"
          + " ) GROUP BY g ORDER BY g";
  static final Map<GroupBy, String> USAGE_SQL = usageSql();

  private static final String EVENT_COLUMNS =
      "SELECT seq, time_us, request_id, event_kind, tenant, service, route, details FROM journal";
  static final String EVENTS_ALL =
      EVENT_COLUMNS + " WHERE kind = 'event' AND time_us >= ? ORDER BY seq DESC LIMIT ?";
  static final String EVENTS_OF_KIND =
      EVENT_COLUMNS
          + " WHERE kind = 'event' AND time_us >= ? AND event_kind = ? ORDER BY seq DESC LIMIT ?";

  private UsageQueries() {}

  private static Map<GroupBy, String> usageSql() {
    Map<GroupBy, String> m = new EnumMap<>(GroupBy.class);
    m.put(GroupBy.TENANT, String.format(USAGE_TEMPLATE, "tenant"));
    m.put(GroupBy.ROUTE, String.format(USAGE_TEMPLATE, "route"));
    m.put(GroupBy.SERVICE, String.format(USAGE_TEMPLATE, "service"));
    m.put(GroupBy.DAY, String.format(USAGE_TEMPLATE, "day"));
    return Map.copyOf(m);
  }

  static List<UsageRow> usage(Connection c, LocalDate from, LocalDate to, GroupBy groupBy)
      throws SQLException {
    List<UsageRow> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(USAGE_SQL.get(groupBy))) {
      ps.setString(1, from.toString());
      ps.setString(2, to.toString());
      ps.setString(3, from.toString());
      ps.setString(4, to.toString());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new UsageRow(
                  rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                  rs.getLong(6)));
        }
      }
    }
    return out;
  }

  /** Newest first (by journal sequence), at most {@code limit}. */
  static List<EventRow> events(
      Connection c, Optional<Instant> since, Optional<EventKind> kind, int limit)
      throws SQLException {
    List<EventRow> out = new ArrayList<>();
    long sinceUs = since.map(JournalEntry::micros).orElse(Long.MIN_VALUE);
    try (PreparedStatement ps = c.prepareStatement(kind.isPresent() ? EVENTS_OF_KIND : EVENTS_ALL)) {
      int i = 1;
      ps.setLong(i++, sinceUs);
      if (kind.isPresent()) {
        ps.setString(i++, kind.get().wireName());
      }
      ps.setInt(i, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Optional<EventKind> k = EventKind.fromWireName(rs.getString(4));
          if (k.isEmpty()) {
            continue;
          }
          out.add(
              new EventRow(
                  rs.getLong(1),
                  JournalEntry.instant(rs.getLong(2)),
                  rs.getString(3),
                  k.get(),
                  rs.getString(5),
                  Optional.ofNullable(rs.getString(6)),
                  Optional.ofNullable(rs.getString(7)),
                  RecordFields.decodeDetails(rs.getString(8))));
        }
      }
    }
    return out;
  }

  private static final String REQUEST_BY_ID =
      "SELECT time_us, request_id, tenant, service, route, provider, model_asked, model_reported, tokens_in,"
          + " tokens_out, cost_nano, latency_us, status, error_code, notes, day FROM journal"
          + " WHERE kind = '" + JournalEntry.KIND_REQUEST + "' AND request_id = ? ORDER BY seq LIMIT 1";

  /** The row of the request {@code requestId}, if it is still kept (not rolled up). */
  static Optional<RequestRecord> request(Connection c, String requestId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(REQUEST_BY_ID)) {
      ps.setString(1, requestId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        String notes = rs.getString(15);
        return Optional.of(new RequestRecord(
            JournalEntry.instant(rs.getLong(1)), rs.getString(2), rs.getString(3), rs.getString(4),
            rs.getString(5), rs.getString(6), rs.getString(7), Optional.ofNullable(rs.getString(8)),
            rs.getLong(9), rs.getLong(10), rs.getLong(11), rs.getLong(12), rs.getInt(13),
            Optional.ofNullable(rs.getString(14)),
            notes == null || notes.isEmpty() ? List.of() : List.of(notes.split(",", -1)),
            LocalDate.parse(rs.getString(16))));
      }
    }
  }
}
