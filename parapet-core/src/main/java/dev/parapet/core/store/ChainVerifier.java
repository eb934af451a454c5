package dev.parapet.core.store;

import dev.parapet.core.store.VerificationResult.Problem;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.crypto.Mac;

/**
 * Walks the journal from the latest anchor and recomputes every MAC. Reports the first place the
 * chain does not hold, by sequence number only (never row contents):
 *
 * <ul>
 *   <li>a gap in seq: a row deleted from the middle ({@link Problem#MISSING});
 *   <li>a MAC that fits the row at another position: rows swapped or moved ({@link
 *       Problem#REORDERED}) — searched within ±{@value #REORDER_WINDOW} rows;
 *   <li>any other MAC mismatch: an edit ({@link Problem#EDITED});
 *   <li>a head that disagrees with the last row: the tail was deleted or the head touched ({@link
 *       Problem#HEAD_MISMATCH}).
 * </ul>
 *
 * <p>What it cannot see: a whole-file rollback to an older copy (the copy is a valid chain), and
 * rows before the latest anchor.
 */
final class ChainVerifier {
  static final int REORDER_WINDOW = 32;
  private static final String SELECT_WINDOW =
      "SELECT seq, mac FROM journal WHERE seq BETWEEN ? AND ? ORDER BY seq";

  private ChainVerifier() {}

  /** Verifies in the caller's (read) transaction, so the walk sees one snapshot. */
  static VerificationResult verify(Connection c, Mac mac) throws SQLException {
    long start = 0;
    byte[] prev = new byte[ChainKey.MAC_LENGTH];
    try (PreparedStatement ps = c.prepareStatement(ChainState.SELECT_LATEST_ANCHOR);
        ResultSet rs = ps.executeQuery()) {
      if (rs.next()) {
        long id = rs.getLong(1);
        start = rs.getLong(2);
        prev = rs.getBytes(3);
        byte[] expected =
            ChainKey.anchorMac(mac, id, start, prev, rs.getLong(5), rs.getString(4));
        if (!MessageDigest.isEqual(expected, rs.getBytes(6))) {
          return VerificationResult.broken(
              0, start, Problem.ANCHOR_INVALID, "chain anchor " + id + " was altered");
        }
      }
    }
    byte[] anchorPrev = prev;
    long expectedSeq = start + 1;
    long rows = 0;
    try (PreparedStatement ps = c.prepareStatement(JournalEntry.SELECT_CANONICAL)) {
      ps.setLong(1, start);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long seq = rs.getLong(1);
          if (seq != expectedSeq) {
            return VerificationResult.broken(
                rows, expectedSeq, Problem.MISSING,
                "rows " + expectedSeq + ".." + (seq - 1) + " are missing");
          }
          byte[] stored = rs.getBytes(2);
          byte[] row = rs.getBytes(3);
          byte[] computed = ChainKey.rowMac(mac, prev, seq, row);
          if (stored == null || !MessageDigest.isEqual(computed, stored)) {
            boolean moved = fitsElsewhere(c, mac, seq, row, anchorPrev);
            return VerificationResult.broken(
                rows, seq, moved ? Problem.REORDERED : Problem.EDITED,
                moved
                    ? "row at seq " + seq + " belongs at another position (rows reordered)"
                    : "row at seq " + seq + " does not match its MAC (edited)");
          }
          prev = stored;
          rows++;
          expectedSeq++;
        }
      }
    }
    long lastSeen = expectedSeq - 1;
    try (PreparedStatement ps = c.prepareStatement(ChainState.SELECT_HEAD);
        ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return VerificationResult.broken(rows, lastSeen + 1, Problem.HEAD_MISMATCH, "chain head is missing");
      }
      long headSeq = rs.getLong(1);
      byte[] headLast = rs.getBytes(2);
      if (!MessageDigest.isEqual(ChainKey.headMac(mac, headSeq, headLast), rs.getBytes(3))) {
        return VerificationResult.broken(rows, lastSeen + 1, Problem.HEAD_MISMATCH, "chain head was altered");
      }
      if (headSeq > lastSeen) {
        return VerificationResult.broken(
            rows, lastSeen + 1, Problem.HEAD_MISMATCH,
            "rows " + (lastSeen + 1) + ".." + headSeq + " are missing (tail deleted)");
      }
      if (headSeq < lastSeen || !MessageDigest.isEqual(headLast, prev)) {
        return VerificationResult.broken(
            rows, headSeq + 1, Problem.HEAD_MISMATCH,
            "head says seq " + headSeq + " but the last row is seq " + lastSeen);
      }
    }
    return VerificationResult.ok(rows);
  }

  /**
   * Whether {@code row}, placed at some nearby seq after some nearby row's MAC, produces a MAC
   * that is stored nearby: true for a swap of whole rows and for a swap of row contents alike; an
   * edited row matches nothing.
   */
  private static boolean fitsElsewhere(
      Connection c, Mac mac, long seq, byte[] row, byte[] anchorPrev) throws SQLException {
    List<Long> seqs = new ArrayList<>();
    List<byte[]> macs = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(SELECT_WINDOW)) {
      ps.setLong(1, seq - REORDER_WINDOW - 1);
      ps.setLong(2, seq + REORDER_WINDOW);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          seqs.add(rs.getLong(1));
          macs.add(rs.getBytes(2));
        }
      }
    }
    Set<ByteBuffer> stored = new HashSet<>();
    macs.forEach(m -> stored.add(ByteBuffer.wrap(m)));
    List<byte[]> prevs = new ArrayList<>(macs);
    prevs.add(anchorPrev);
    for (long k : seqs) {
      if (k == seq) {
        continue;
      }
      for (byte[] p : prevs) {
        if (stored.contains(ByteBuffer.wrap(ChainKey.rowMac(mac, p, k, row)))) {
          return true;
        }
      }
    }
    // Rows moved whole keep their MAC but not their seq: try this position with any nearby prev.
    for (byte[] p : prevs) {
      byte[] m = ChainKey.rowMac(mac, p, seq, row);
      if (stored.contains(ByteBuffer.wrap(m))) {
        return true;
      }
    }
    return false;
  }
}
