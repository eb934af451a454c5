package dev.parapet.core.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
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
 * <p>The chain is verified first, inside the same transaction; a broken chain is not rolled up,
 * because the anchor would certify rows nobody checked.
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

  /** Returns the number of journal rows deleted; runs in the writer's transaction. */
  static int apply(Connection c, Mac mac, LocalDate today, int keepDays, long nowUs)
      throws SQLException {
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
    byte[] lastMac;
    try (PreparedStatement ps = c.prepareStatement(LAST_ROW_AT_OR_BEFORE)) {
      ps.setLong(1, limit);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return 0;
        }
        lastSeq = rs.getLong(1);
        lastMac = rs.getBytes(2);
      }
    }
    try (PreparedStatement ps = c.prepareStatement(ROLL_UP)) {
      ps.setLong(1, lastSeq);
      ps.executeUpdate();
    }
    int deleted;
    try (PreparedStatement ps = c.prepareStatement(DELETE_PREFIX)) {
      ps.setLong(1, lastSeq);
      deleted = ps.executeUpdate();
    }
    // Rows at or before the current anchor are not verified anyway (an accepted break); anchoring
    // behind it would bring the broken part back into verification.
    if (lastSeq > ChainState.latestAnchorSeq(c)) {
      ChainState.writeAnchor(c, mac, lastSeq, lastMac, ChainState.REASON_RETENTION, nowUs);
    }
    return deleted;
  }
}
