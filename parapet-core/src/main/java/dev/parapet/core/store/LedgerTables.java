package dev.parapet.core.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * SQL of the spend ledger: open holds and settled spend per UTC day, route and tenant. Called in
 * the writer's transaction (writes) or under the reader lock (reads); it never commits.
 */
final class LedgerTables {
  static final String INSERT_HOLD =
      "INSERT INTO open_hold (hold_id, day, route, tenant, worst_nano, created_us)"
          + " VALUES (?, ?, ?, ?, ?, ?)";
  static final String DELETE_HOLD = "DELETE FROM open_hold WHERE hold_id = ?";
  static final String ADD_SPEND =
      "INSERT INTO spend_day (day, scope, name, nano_usd) VALUES (?, ?, ?, ?)"
          + " ON CONFLICT (day, scope, name) DO UPDATE SET nano_usd = nano_usd + excluded.nano_usd";
  static final String SELECT_SPEND = "SELECT scope, name, nano_usd FROM spend_day WHERE day = ?";
  static final String SELECT_HOLDS =
      "SELECT hold_id, day, route, tenant, worst_nano, created_us FROM open_hold ORDER BY created_us, hold_id";

  private LedgerTables() {}

  static void insertHold(StatementCache sql, HoldRecord h) throws SQLException {
    PreparedStatement ps = sql.get(INSERT_HOLD);
    ps.setString(1, h.holdId());
    ps.setString(2, h.day().toString());
    ps.setString(3, h.route());
    ps.setString(4, h.tenant());
    ps.setLong(5, h.worstCaseNanoUsd());
    ps.setLong(6, JournalEntry.micros(h.created()));
    ps.executeUpdate();
  }

  /**
   * Deletes the hold and adds the actual cost to route and tenant. The cost is added even if the
   * hold row is absent: losing spend is the failure this ledger exists to prevent.
   */
  static void settle(StatementCache sql, SettlementRecord s) throws SQLException {
    deleteHold(sql, s.holdId());
    addSpend(sql, s.day(), s.route(), s.tenant(), s.actualNanoUsd());
  }

  static void deleteHold(StatementCache sql, String holdId) throws SQLException {
    PreparedStatement ps = sql.get(DELETE_HOLD);
    ps.setString(1, holdId);
    ps.executeUpdate();
  }

  static void addSpend(StatementCache sql, LocalDate day, String route, String tenant, long nano)
      throws SQLException {
    // route and tenant were validated when their record was made
    PreparedStatement ps = sql.get(ADD_SPEND);
    String d = day.toString();
    addSpendRow(ps, d, SpendKey.Scope.ROUTE, route, nano);
    addSpendRow(ps, d, SpendKey.Scope.TENANT, tenant, nano);
    ps.executeBatch();
  }

  private static void addSpendRow(
      PreparedStatement ps, String day, SpendKey.Scope scope, String name, long nano)
      throws SQLException {
    ps.setString(1, day);
    ps.setString(2, scope.column());
    ps.setString(3, name);
    ps.setLong(4, nano);
    ps.addBatch();
  }

  static Map<SpendKey, Long> spendForDay(Connection c, LocalDate day) throws SQLException {
    Map<SpendKey, Long> out = new LinkedHashMap<>();
    try (PreparedStatement ps = c.prepareStatement(SELECT_SPEND)) {
      ps.setString(1, day.toString());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          SpendKey.Scope scope =
              SpendKey.Scope.ROUTE.column().equals(rs.getString(1))
                  ? SpendKey.Scope.ROUTE
                  : SpendKey.Scope.TENANT;
          out.put(new SpendKey(scope, rs.getString(2)), rs.getLong(3));
        }
      }
    }
    return out;
  }

  /**
   * Routes and tenants whose settled spend on a day is below what that day's request rows (which
   * the chain protects) say their calls were charged, or negative. A row never lands without its
   * settlement or its hold (the hold commits before the call, the settlement before or with the
   * row, and a lost settlement's hold is settled at its worst case at boot), so spend is at least
   * the rows' sum: less means the spend table was altered.
   */
  static final String SPEND_BELOW_ROWS =
      "SELECT r.scope, r.name, COALESCE(s.nano_usd, 0), r.total FROM ("
          + " SELECT 'route' AS scope, route AS name, SUM(cost_nano) AS total FROM journal"
          + " WHERE kind = 'request' AND day = ?1 GROUP BY route"
          + " UNION ALL"
          + " SELECT 'tenant', tenant, SUM(cost_nano) FROM journal"
          + " WHERE kind = 'request' AND day = ?1 GROUP BY tenant) r"
          + " LEFT JOIN spend_day s ON s.day = ?1 AND s.scope = r.scope AND s.name = r.name"
          + " WHERE COALESCE(s.nano_usd, 0) < r.total"
          + " UNION ALL"
          + " SELECT scope, name, nano_usd, 0 FROM spend_day WHERE day = ?1 AND nano_usd < 0"
          + " LIMIT 1";

  /** The first route or tenant whose spend on {@code day} is below its rows' (or negative), described. */
  static Optional<String> spendBelowRows(Connection c, LocalDate day) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SPEND_BELOW_ROWS)) {
      ps.setString(1, day.toString());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(rs.getString(1) + " " + rs.getString(2) + " spent " + rs.getLong(3)
            + " nano-USD on " + day + " by the ledger, but its calls' rows were charged " + rs.getLong(4));
      }
    }
  }

  /**
   * Raises every spend of {@code day} that {@link #SPEND_BELOW_ROWS} finds to what its rows were
   * charged (a negative one to at least 0): the caps go on from the higher figure. In the writer's
   * transaction. Returns how many figures were raised.
   */
  static int raiseSpendToRows(Connection c, LocalDate day) throws SQLException {
    String d = day.toString();
    int raised = 0;
    try (PreparedStatement find = c.prepareStatement(SPEND_BELOW_ROWS.replace(" LIMIT 1", ""));
        PreparedStatement set = c.prepareStatement(
            "INSERT INTO spend_day (day, scope, name, nano_usd) VALUES (?, ?, ?, ?)"
                + " ON CONFLICT (day, scope, name) DO UPDATE SET nano_usd = excluded.nano_usd")) {
      find.setString(1, d);
      try (ResultSet rs = find.executeQuery()) {
        while (rs.next()) {
          set.setString(1, d);
          set.setString(2, rs.getString(1));
          set.setString(3, rs.getString(2));
          set.setLong(4, Math.max(0, rs.getLong(4)));
          set.addBatch();
          raised++;
        }
      }
      set.executeBatch();
    }
    return raised;
  }

  static List<HoldRecord> openHolds(Connection c) throws SQLException {
    List<HoldRecord> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(SELECT_HOLDS);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        long us = rs.getLong(6);
        out.add(
            new HoldRecord(
                rs.getString(1),
                LocalDate.parse(rs.getString(2)),
                rs.getString(3),
                rs.getString(4),
                rs.getLong(5),
                JournalEntry.instant(us)));
      }
    }
    return out;
  }
}
