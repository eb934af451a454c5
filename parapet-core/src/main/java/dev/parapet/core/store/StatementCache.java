package dev.parapet.core.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * Prepared statements of one connection, each compiled once and reused. The writer prepares the
 * same five statements for every batch it commits; compiling them was a quarter of its native
 * time under load (bench/profile-notes.md, sixth round). SQLite's JDBC driver resets a statement
 * after each {@code executeUpdate} and clears a batch after {@code executeBatch}, and every
 * caller binds every parameter, so a statement taken from here starts clean.
 *
 * <p>After a failed statement or transaction call {@link #close()}: the driver may have finalized
 * the statement that failed, and the next use prepares afresh. Not thread-safe; one thread owns
 * the connection.
 */
final class StatementCache implements AutoCloseable {
  private final Connection connection;
  private final Map<String, PreparedStatement> prepared = new HashMap<>();

  StatementCache(Connection connection) {
    this.connection = connection;
  }

  PreparedStatement get(String sql) throws SQLException {
    PreparedStatement ps = prepared.get(sql);
    if (ps == null || ps.isClosed()) {
      ps = connection.prepareStatement(sql);
      prepared.put(sql, ps);
    }
    return ps;
  }

  /** How many statements are prepared; for tests. */
  int size() {
    return prepared.size();
  }

  /** Closes every statement; the cache stays usable and prepares again on demand. */
  @Override
  public void close() {
    for (PreparedStatement ps : prepared.values()) {
      try {
        ps.close();
      } catch (SQLException ignored) {
        // Closing a statement of a broken connection: nothing left to release.
      }
    }
    prepared.clear();
  }
}
