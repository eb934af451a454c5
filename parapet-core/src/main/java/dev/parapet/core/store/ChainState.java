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
    try (PreparedStatement ps = c.prepareStatement(UPSERT_HEAD)) {
      ps.setLong(1, lastSeq);
      ps.setBytes(2, lastMac);
      ps.setBytes(3, ChainKey.headMac(mac, lastSeq, lastMac));
      ps.executeUpdate();
    }
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

  /**
   * After an operator accepted a broken chain: anchor a new segment after the last row present
   * (whatever it holds) and rewrite the head to match, in the caller's transaction. Rows before the
   * anchor are no longer verified; the break stays in the log.
   */
  static ChainState restartAfterBreak(Connection c, Mac mac, long nowUs) throws SQLException {
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
