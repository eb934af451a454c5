package dev.parapet.core.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.Optional;
import org.sqlite.SQLiteErrorCode;

/**
 * Reads, at boot, every page of the ledger that the caps start from and that the chain does not
 * protect, so that one altered in the file refuses the boot whatever figure it now holds.
 *
 * <p>Why reading is enough only this way: SQLite3 Multiple Ciphers checks each page's Poly1305 tag
 * as it reads it, but on a failed tag it still hands the page over (decrypted, so a flipped bit in
 * the file reads back as a flipped bit in a value) and only puts the connection's pager in an
 * error state. The next page fetched <em>in the same transaction</em> then fails with {@code
 * SQLITE_CORRUPT}; when the transaction ends the error is dropped with the page cache. So an
 * autocommit read never sees it. Here each table is read whole within one transaction, followed by
 * one more read ({@link Schema#SELECT_VERSION}), which fails if any of its pages failed. A page
 * already in the pager's cache passed its check when it was read: a failed one empties the cache.
 *
 * <p>What is read: the open holds (table and index, whole: at most one row per request in flight)
 * and the spend of yesterday (UTC) and later (what the caps start from, and the last closed day),
 * with the interior pages above them. Older days' spend is read by nothing in the gateway and grows
 * by a day of routes and tenants every day; it is not read, nor {@code daily_rollup}, which grows
 * for as long as the store is kept and only feeds usage reports.
 */
final class LedgerPages {
  static final String SPEND_SINCE =
      "SELECT day, scope, name, nano_usd FROM spend_day WHERE day >= ?";

  private static final int MAX_FINDING = 200;

  private LedgerPages() {}

  /**
   * The part of the ledger with a page that fails the cipher's check (or SQLite's structure check),
   * named, or empty. In the caller's transaction; rolls it back when one fails, so the connection
   * goes on. Errors other than a damaged page are thrown.
   */
  static Optional<String> damaged(Connection c, LocalDate today) throws SQLException {
    try {
      Optional<String> holds = quickCheck(c, "open_hold");
      if (holds.isPresent()) {
        c.rollback();
        return Optional.of("the open holds (open_hold): " + holds.get());
      }
      forceCipherError(c);
    } catch (SQLException e) {
      return damagedBy(c, e, "the open holds (open_hold)");
    }
    LocalDate since = today.minusDays(1);
    try (PreparedStatement ps = c.prepareStatement(SPEND_SINCE)) {
      ps.setString(1, since.toString());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          // every column, so that a row spilling onto overflow pages reads them too
          rs.getString(1);
          rs.getString(2);
          rs.getString(3);
          rs.getLong(4);
        }
      }
      forceCipherError(c);
    } catch (SQLException e) {
      return damagedBy(c, e, "the spend of " + since + " and later (spend_day)");
    }
    return Optional.empty();
  }

  /**
   * {@code PRAGMA quick_check} of one table and its indexes (every page of them, overflow included):
   * empty if "ok", else its first finding on one line (it names pages and tables, never a value).
   */
  static Optional<String> quickCheck(Connection c, String table) throws SQLException {
    return check(c, "PRAGMA quick_check(" + table + ")");
  }

  /** Runs a check pragma: empty if it answers "ok", else its first finding on one line. */
  static Optional<String> check(Connection c, String pragma) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(pragma)) {
      String first = rs.next() ? rs.getString(1) : "no answer";
      if ("ok".equals(first)) {
        return Optional.empty();
      }
      String line = first.replaceAll("\\s+", " ").strip();
      return Optional.of(line.length() > MAX_FINDING ? line.substring(0, MAX_FINDING) + "..." : line);
    }
  }

  /** One more page fetched in the transaction: fails if a page read before it failed its tag. */
  static void forceCipherError(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(Schema.SELECT_VERSION)) {
      rs.next();
    }
  }

  /** Whether {@code e} is SQLite's {@code SQLITE_CORRUPT} (a page that failed its tag or its structure). */
  static boolean corrupt(SQLException e) {
    return (e.getErrorCode() & 0xff) == SQLiteErrorCode.SQLITE_CORRUPT.code;
  }

  static Optional<String> damagedBy(Connection c, SQLException e, String what) throws SQLException {
    if (!corrupt(e)) {
      throw e;
    }
    c.rollback();
    // SQLite's message names the error, never a value or a key.
    return Optional.of(what + ": " + e.getMessage());
  }
}
