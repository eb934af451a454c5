package dev.parapet.core.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.Optional;
import javax.crypto.Mac;

/**
 * Rolls old journal rows into {@code daily_rollup} and deletes them, keeping the chain verifiable.
 *
 * <p>Only a prefix of the journal is ever deleted: every row up to S, the seq just before the
 * first row dated inside the window. The chain then restarts from an anchor (S and the MAC of row
 * S, itself MAC'd), so the rows that remain verify exactly as before. A row dated before the
 * window but written after a newer one (a late arrival) waits for a later run. Events are deleted
 * with the requests around them: keeping them would leave holes in the prefix, and the audit
 * value of a 90-day-old refusal is in the rollup's blocked count.
 *
 * <p>The chain is verified first, in one read snapshot on the reader connection; a broken chain
 * is not rolled up, because the anchor would certify rows nobody checked. The deletion then runs
 * on the writer in chunks of {@value #CHUNK_ROWS} rows, each its own transaction with its own
 * anchor, so a day of rows never holds up the budget holds queued behind it.
 */
final class Retention {
  static final String FIRST_SEQ_IN_WINDOW = "SELECT MIN(seq) FROM journal WHERE day >= ?";
  static final String LAST_ROW_AT_OR_BEFORE =
      "SELECT seq, mac FROM journal WHERE seq <= ? ORDER BY seq DESC LIMIT 1";
  static final String ROLL_UP =
      "INSERT INTO daily_rollup"
          + " (day, tenant, service, route, requests, tokens_in, tokens_out, cost_nano, blocked)"
          + " SELECT day, tenant, service, route, COUNT(*), SUM(tokens_in), SUM(tokens_out),"
          + " SUM(cost_nano), SUM(blocked) FROM journal WHERE kind = 'request' AND seq <= ?"
          + " GROUP BY day, tenant, service, route"
          + " ON CONFLICT (day, tenant, service, route) DO UPDATE SET"
          + " requests = requests + excluded.requests,"
          + " tokens_in = tokens_in + excluded.tokens_in,"
          + " tokens_out = tokens_out + excluded.tokens_out,"
          + " cost_nano = cost_nano + excluded.cost_nano,"
          + " blocked = blocked + excluded.blocked";
  static final String DELETE_PREFIX = "DELETE FROM journal WHERE seq <= ?";

  private Retention() {}

  /** Rows rolled up and deleted per writer transaction: ledger work runs between two of them. */
  static final int CHUNK_ROWS = 5_000;
  static final String MAC_OF = "SELECT mac FROM journal WHERE seq = ?";
  static final String FIRST_SEQ = "SELECT MIN(seq) FROM journal";

  /** What a run will delete: the rows after {@code afterSeq} up to {@code lastSeq}, in chunks. */
  record Plan(long afterSeq, long lastSeq) {}

  /**
   * Decides what to delete, in the caller's read snapshot (the store's reader connection, never
   * the writer: verifying a day of rows takes seconds, and the writer commits every budget hold).
   * The whole chain is verified first; a broken chain is not rolled up, because the anchors would
   * certify rows nobody checked. Empty when nothing is old enough.
   */
  static Optional<Plan> plan(Connection c, Mac mac, LocalDate today, int keepDays) throws SQLException {
    VerificationResult v = ChainVerifier.verify(c, mac);
    if (!v.ok()) {
      throw new SQLException("retention refused: chain broken at seq " + v.brokenAtSeq().orElse(0L) + ": " + v.detail());
    }
    String cutoff = today.minusDays(keepDays).toString();
    long limit;
    try (PreparedStatement ps = c.prepareStatement(FIRST_SEQ_IN_WINDOW)) {
      ps.setString(1, cutoff);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long first = rs.getLong(1);
        limit = rs.wasNull() ? Long.MAX_VALUE : first - 1;
      }
    }
    long lastSeq;
    try (PreparedStatement ps = c.prepareStatement(LAST_ROW_AT_OR_BEFORE)) {
      ps.setLong(1, limit);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        lastSeq = rs.getLong(1);
      }
    }
    long first;
    try (PreparedStatement ps = c.prepareStatement(FIRST_SEQ); ResultSet rs = ps.executeQuery()) {
      rs.next();
      first = rs.getLong(1);
    }
    return Optional.of(new Plan(first - 1, lastSeq));
  }

  /**
   * One chunk, in the writer's transaction: rolls up and deletes every row up to {@code seq}
   * (verified by {@link #plan}; rows that old are never written again) and anchors the chain
   * there. Returns the rows deleted (0 if another run already took them).
   */
  static int deleteThrough(Connection c, Mac mac, long seq, long nowUs) throws SQLException {
    byte[] lastMac;
    try (PreparedStatement ps = c.prepareStatement(MAC_OF)) {
      ps.setLong(1, seq);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return 0; // an earlier run deleted it: only retention deletes journal rows
        }
        lastMac = rs.getBytes(1);
      }
    }
    try (PreparedStatement ps = c.prepareStatement(ROLL_UP)) {
      ps.setLong(1, seq);
      ps.executeUpdate();
    }
    int deleted;
    try (PreparedStatement ps = c.prepareStatement(DELETE_PREFIX)) {
      ps.setLong(1, seq);
      deleted = ps.executeUpdate();
    }
    // Rows at or before the current anchor are not verified anyway (an accepted break); anchoring
    // behind it would bring the broken part back into verification.
    if (seq > ChainState.latestAnchorSeq(c)) {
      ChainState.writeAnchor(c, mac, seq, lastMac, ChainState.REASON_RETENTION, nowUs);
    }
    return deleted;
  }
}
