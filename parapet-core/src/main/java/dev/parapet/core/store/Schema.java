package dev.parapet.core.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The store's tables and their history. Migrations are append-only: a released migration is never
 * edited, a change is a new entry with the next version. {@link #migrate} applies the missing ones
 * in one transaction, so a crash mid-migration leaves the previous version intact.
 *
 * <p>Tables: {@code journal} holds request and event rows in one hash-chained sequence; {@code
 * chain_head} is the MAC'd last (seq, mac), which makes a deleted tail visible; {@code
 * chain_anchor} records where verification restarts after retention or an accepted break; {@code
 * open_hold} and {@code spend_day} are the spend ledger; {@code daily_rollup} keeps aggregates of
 * rows retention deleted.
 */
final class Schema {
  record Migration(int version, List<String> statements) {}

  static final String CREATE_VERSION_TABLE =
      "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)";
  static final String SELECT_VERSION = "SELECT MAX(version) FROM schema_version";
  static final String INSERT_VERSION = "INSERT INTO schema_version (version) VALUES (?)";

  static final List<Migration> MIGRATIONS =
      List.of(
          new Migration(
              1,
              List.of(
                  "CREATE TABLE journal ("
                      + " seq INTEGER PRIMARY KEY,"
                      + " kind TEXT NOT NULL CHECK (kind IN ('request', 'event')),"
                      + " time_us INTEGER NOT NULL,"
                      + " day TEXT NOT NULL,"
                      + " request_id TEXT NOT NULL,"
                      + " tenant TEXT NOT NULL,"
                      + " service TEXT, route TEXT, provider TEXT,"
                      + " model_asked TEXT, model_reported TEXT,"
                      + " tokens_in INTEGER, tokens_out INTEGER, cost_nano INTEGER,"
                      + " latency_us INTEGER, status INTEGER, error_code TEXT,"
                      + " blocked INTEGER, notes TEXT, event_kind TEXT, details TEXT,"
                      + " mac BLOB NOT NULL)",
                  "CREATE INDEX journal_kind_day ON journal (kind, day)",
                  "CREATE INDEX journal_kind_time ON journal (kind, time_us)",
                  "CREATE TABLE chain_head ("
                      + " id INTEGER PRIMARY KEY CHECK (id = 1),"
                      + " last_seq INTEGER NOT NULL,"
                      + " last_mac BLOB NOT NULL,"
                      + " head_mac BLOB NOT NULL)",
                  "CREATE TABLE chain_anchor ("
                      + " id INTEGER PRIMARY KEY,"
                      + " after_seq INTEGER NOT NULL,"
                      + " prev_mac BLOB NOT NULL,"
                      + " reason TEXT NOT NULL,"
                      + " created_us INTEGER NOT NULL,"
                      + " anchor_mac BLOB NOT NULL)",
                  "CREATE TABLE open_hold ("
                      + " hold_id TEXT PRIMARY KEY,"
                      + " day TEXT NOT NULL,"
                      + " route TEXT NOT NULL,"
                      + " tenant TEXT NOT NULL,"
                      + " worst_nano INTEGER NOT NULL CHECK (worst_nano >= 0),"
                      + " created_us INTEGER NOT NULL)",
                  "CREATE TABLE spend_day ("
                      + " day TEXT NOT NULL,"
                      + " scope TEXT NOT NULL CHECK (scope IN ('route', 'tenant')),"
                      + " name TEXT NOT NULL,"
                      + " nano_usd INTEGER NOT NULL CHECK (nano_usd >= 0),"
                      + " PRIMARY KEY (day, scope, name)) WITHOUT ROWID",
                  "CREATE TABLE daily_rollup ("
                      + " day TEXT NOT NULL,"
                      + " tenant TEXT NOT NULL,"
                      + " service TEXT NOT NULL,"
                      + " route TEXT NOT NULL,"
                      + " requests INTEGER NOT NULL,"
                      + " tokens_in INTEGER NOT NULL,"
                      + " tokens_out INTEGER NOT NULL,"
                      + " cost_nano INTEGER NOT NULL,"
                      + " blocked INTEGER NOT NULL,"
                      + " PRIMARY KEY (day, tenant, service, route)) WITHOUT ROWID")));

  /** The version a fully migrated store has. */
  static final int CURRENT_VERSION = MIGRATIONS.get(MIGRATIONS.size() - 1).version();

  private Schema() {}

  static String newerThanThisBuild(int version) {
    return "schema version " + version + " is newer than this build (" + CURRENT_VERSION + ")";
  }

  /** The store's schema version without creating anything: 0 for a file with no schema yet. */
  static int version(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery(
          "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")) {
        if (!rs.next() || rs.getInt(1) == 0) {
          return 0;
        }
      }
      try (ResultSet rs = st.executeQuery(SELECT_VERSION)) {
        return rs.next() ? rs.getInt(1) : 0;
      }
    }
  }

  /**
   * Brings the schema up to {@link #CURRENT_VERSION} in one transaction.
   *
   * @return the version found before migrating (0 for a new store)
   * @throws SQLException if a migration fails (nothing is applied) or the store is newer than this
   *     build
   */
  static int migrate(Connection c) throws SQLException {
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.execute(CREATE_VERSION_TABLE);
      int found;
      try (ResultSet rs = st.executeQuery(SELECT_VERSION)) {
        found = rs.next() ? rs.getInt(1) : 0;
      }
      if (found > CURRENT_VERSION) {
        throw new SQLException(newerThanThisBuild(found));
      }
      for (Migration m : MIGRATIONS) {
        if (m.version() > found) {
          for (String sql : m.statements()) {
            st.execute(sql);
          }
          try (var ps = c.prepareStatement(INSERT_VERSION)) {
            ps.setInt(1, m.version());
            ps.executeUpdate();
          }
        }
      }
      c.commit();
      return found;
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(auto);
    }
  }
}
