package dev.parapet.core.store;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads every page of the store that holds data: each table and index
 * (old days' spend, {@code daily_rollup}, the journal and its indexes included), their overflow
 * pages and the free list's trunk pages, with SQLite's {@code PRAGMA integrity_check} (which also
 * checks that each index agrees with its table), then one page more, all in one transaction, so
 * that a page failing the cipher's tag surfaces (see {@link LedgerPages} for why a read alone does
 * not). Free pages hold nothing any read returns and are not read. It reads the whole file: run
 * by {@code verify-store}, and at boot only when a crash left a write-ahead log ({@link
 * BootChecks}).
 */
final class FilePages {
  private FilePages() {}

  /**
   * Where the file has a page that fails its tag or SQLite's structure check (the tables it
   * belongs to, and SQLite's first finding), or empty. In the caller's transaction; rolls back.
   *
   * @param pragma {@code PRAGMA integrity_check} ({@code verify-store}: also each index against its
   *     table) or {@code PRAGMA quick_check} (the boot: every page read, in half the time)
   */
  static Optional<String> damaged(Connection c, String pragma) throws SQLException {
    String finding;
    try {
      Optional<String> found = LedgerPages.check(c, pragma);
      LedgerPages.forceCipherError(c);
      if (found.isEmpty()) {
        return Optional.empty();
      }
      finding = found.get();
    } catch (SQLException e) {
      if (!LedgerPages.corrupt(e)) {
        throw e;
      }
      finding = e.getMessage(); // SQLite's message names the error, never a value or a key
    } finally {
      c.rollback();
    }
    List<String> tables = tablesWithADamagedPage(c);
    return Optional.of((tables.isEmpty() ? "the file" : String.join(", ", tables) + " (or its indexes)")
        + ": " + finding);
  }

  /** Each table whose own check (its pages and its indexes') fails, each in a transaction of its own. */
  private static List<String> tablesWithADamagedPage(Connection c) {
    List<String> out = new ArrayList<>();
    List<String> tables = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")) {
      while (rs.next()) {
        tables.add(rs.getString(1));
      }
      c.rollback();
    } catch (SQLException e) {
      return out; // the schema's own pages: the caller says "the file"
    }
    for (String table : tables) {
      if (!table.matches("[a-z_]+")) {
        continue; // only the store's own tables are named in a pragma
      }
      try {
        Optional<String> found = LedgerPages.quickCheck(c, table);
        LedgerPages.forceCipherError(c);
        if (found.isPresent()) {
          out.add(table);
        }
      } catch (SQLException e) {
        if (LedgerPages.corrupt(e)) {
          out.add(table);
        }
      } finally {
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // the next check reports
        }
      }
    }
    return out;
  }
}
