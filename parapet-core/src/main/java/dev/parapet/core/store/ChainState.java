package dev.parapet.core.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.crypto.Mac;

/**
 * The writer's view of the chain's end: the last sequence number and its MAC. Only the writer
 * thread touches it; a batch works on a {@link #copy()} and the writer adopts it after COMMIT, so
 * a failed transaction never advances the chain in memory past what is on disk.
 */
final class ChainState {
  static final String SELECT_HEAD =
      "SELECT last_seq, last_mac, head_mac FROM chain_head WHERE id = 1";
  static final String UPSERT_HEAD =
      "INSERT INTO chain_head (id, last_seq, last_mac, head_mac) VALUES (1, ?, ?, ?)"
          + " ON CONFLICT (id) DO UPDATE SET last_seq = excluded.last_seq,"
          + " last_mac = excluded.last_mac, head_mac = excluded.head_mac";
  static final String SELECT_LATEST_ANCHOR =
      "SELECT id, after_seq, prev_mac, reason, created_us, anchor_mac FROM chain_anchor"
          + " ORDER BY id DESC LIMIT 1";
  static final String INSERT_ANCHOR =
      "INSERT INTO chain_anchor (id, after_seq, prev_mac, reason, created_us, anchor_mac)"
          + " VALUES (?, ?, ?, ?, ?, ?)";
  static final String SELECT_LAST_ROW = "SELECT seq, mac FROM journal ORDER BY seq DESC LIMIT 1";
  static final String SELECT_ROW_AT_OR_AFTER =
      "SELECT seq, mac FROM journal WHERE seq >= ? ORDER BY seq LIMIT 1";
  static final String SELECT_LATEST_ANCHOR_SEQ =
      "SELECT after_seq FROM chain_anchor ORDER BY id DESC LIMIT 1";
  /** Most segments one boot will anchor before giving up and anchoring after the last row. */
  static final int MAX_ACCEPTED_BREAKS = 100;
  static final String SELECT_MAC_OF = "SELECT mac FROM journal WHERE seq = ?";

  /** Reason recorded by retention's anchor. */
  static final String REASON_RETENTION = "retention";
  /** Reason recorded when an operator accepted a broken chain. */
  static final String REASON_ACCEPTED_BREAK = "accepted_break";

  long lastSeq;
  byte[] lastMac;

  private ChainState(long lastSeq, byte[] lastMac) {
    this.lastSeq = lastSeq;
    this.lastMac = lastMac;
  }

  static ChainState genesis() {
    return new ChainState(0, new byte[ChainKey.MAC_LENGTH]);
  }

  ChainState copy() {
    return new ChainState(lastSeq, lastMac.clone());
  }

  /** The head as stored; call after verification, which checks its MAC. */
  static ChainState loadHead(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SELECT_HEAD);
        ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException("chain head missing");
      }
      return new ChainState(rs.getLong(1), rs.getBytes(2));
    }
  }

  /** Appends {@code entry} at {@code lastSeq + 1}; the caller writes the head before COMMIT. */
  long append(PreparedStatement insert, Mac mac, JournalEntry entry) throws SQLException {
    long seq = lastSeq + 1;
    byte[] rowMac = ChainKey.rowMac(mac, lastMac, seq, entry.canonical());
    entry.bind(insert, seq, rowMac);
    insert.executeUpdate();
    lastSeq = seq;
    lastMac = rowMac;
    return seq;
  }

  void writeHead(Connection c, Mac mac) throws SQLException {
    try (StatementCache sql = new StatementCache(c)) {
      writeHead(sql, mac);
    }
  }

  void writeHead(StatementCache sql, Mac mac) throws SQLException {
    PreparedStatement ps = sql.get(UPSERT_HEAD);
    ps.setLong(1, lastSeq);
    ps.setBytes(2, lastMac);
    ps.setBytes(3, ChainKey.headMac(mac, lastSeq, lastMac));
    ps.executeUpdate();
  }

  /** Records that verification restarts after {@code afterSeq} with {@code prevMac}. */
  static void writeAnchor(
      Connection c, Mac mac, long afterSeq, byte[] prevMac, String reason, long createdUs)
      throws SQLException {
    long id;
    try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(MAX(id), 0) + 1 FROM chain_anchor");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      id = rs.getLong(1);
    }
    try (PreparedStatement ps = c.prepareStatement(INSERT_ANCHOR)) {
      ps.setLong(1, id);
      ps.setLong(2, afterSeq);
      ps.setBytes(3, prevMac);
      ps.setString(4, reason);
      ps.setLong(5, createdUs);
      ps.setBytes(6, ChainKey.anchorMac(mac, id, afterSeq, prevMac, createdUs, reason));
      ps.executeUpdate();
    }
  }

  /** Where verification currently starts: the latest anchor's seq, or 0. */
  static long latestAnchorSeq(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SELECT_LATEST_ANCHOR_SEQ);
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  /**
   * After an operator accepted a broken chain: anchors a new segment right after each break, in
   * the caller's transaction, so the rows after it stay verified from then on. An edited or moved
   * row is anchored on (its stored MAC becomes the segment's start); after a gap, the first row
   * past it is; a broken head or anchor anchors after the last row and rewrites the head. Each
   * break is handed to {@code report} (to be logged) before it is anchored over.
   */
  static ChainState acceptBreaks(
      Connection c, Mac mac, long nowUs, java.util.function.Consumer<VerificationResult> report)
      throws SQLException {
    for (int i = 0; i < MAX_ACCEPTED_BREAKS; i++) {
      VerificationResult v = ChainVerifier.verify(c, mac);
      if (v.ok()) {
        return loadHead(c);
      }
      report.accept(v);
      long at = v.brokenAtSeq().orElse(0L);
      VerificationResult.Problem problem = v.problem().orElseThrow();
      boolean rowLevel =
          problem == VerificationResult.Problem.EDITED
              || problem == VerificationResult.Problem.REORDERED
              || problem == VerificationResult.Problem.MISSING;
      ChainState row = rowLevel ? rowAtOrAfter(c, at) : null;
      if (row == null) {
        return anchorAfterLastRow(c, mac, nowUs);
      }
      writeAnchor(c, mac, row.lastSeq, row.lastMac, REASON_ACCEPTED_BREAK, nowUs);
    }
    return anchorAfterLastRow(c, mac, nowUs);
  }

  private static ChainState rowAtOrAfter(Connection c, long seq) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SELECT_ROW_AT_OR_AFTER)) {
      ps.setLong(1, seq);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new ChainState(rs.getLong(1), rs.getBytes(2)) : null;
      }
    }
  }

  private static ChainState anchorAfterLastRow(Connection c, Mac mac, long nowUs)
      throws SQLException {
    ChainState s = genesis();
    try (PreparedStatement ps = c.prepareStatement(SELECT_LAST_ROW);
        ResultSet rs = ps.executeQuery()) {
      if (rs.next()) {
        s = new ChainState(rs.getLong(1), rs.getBytes(2));
      }
    }
    writeAnchor(c, mac, s.lastSeq, s.lastMac, REASON_ACCEPTED_BREAK, nowUs);
    s.writeHead(c, mac);
    return s;
  }
}
