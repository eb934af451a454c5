package dev.parapet.core.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.Optional;
import javax.crypto.Mac;

/**
 * What {@link TelemetryStore#open} reads of an existing store before any connection that could
 * write it opens, on a read-only one ({@link EncryptedDatabase#connectReadOnly}), so that a check
 * that refuses leaves {@code parapet.db} and its {@code -wal} byte for byte as it found them.
 *
 * <p>Why before: a page whose Poly1305 tag fails is still returned (see {@link LedgerPages}), and
 * a connection that can write copies the write-ahead log into the file when it closes (and the
 * store's checkpointer within 250 ms of an open), re-encrypting each page with a valid tag. A page
 * altered in the log (a bit flipped and the log's checksum, which needs no key, fixed up) was so
 * copied into the file by the very boot that refused it, and the next boot passed with it.
 *
 * <p>What: with a non-empty {@code -wal} (left only by a crash or kill -9: a clean close empties
 * it), every page that holds data, with SQLite's {@code quick_check} (which reads every page of
 * every table and index; its index-against-table pass is left to {@code verify-store}) and one page
 * more; then, always, the ledger's pages ({@link LedgerPages}), today's part of the index {@code
 * journal_kind_day}, and the hash chain. A store that still needs a migration has
 * its whole file read here, and its chain verified after the migration, as before.
 */
final class BootChecks {
  /** Today's entries of the index, read alone (a count is answered from the index's pages). */
  private static final String TODAYS_INDEX =
      "SELECT count(*) FROM journal INDEXED BY journal_kind_day WHERE kind = 'request' AND day = ?";

  private BootChecks() {}

  /**
   * What the checks found: the key derivation the store was created with (for every other
   * connection of this open) and the chain's verification, for the writer to start from (broken
   * only when the options accept it), or empty when the store still needs a migration.
   */
  record Checked(EncryptedDatabase.Kdf kdf, Optional<VerificationResult> verified) {}

  /**
   * @throws StoreException naming what refused: a damaged page, a broken chain, a newer schema
   * @throws SQLException if the reads fail otherwise ({@code SQLITE_CORRUPT}: a page of what the
   *     chain's verification reads; {@link EncryptedDatabase.WrongKeyException}: the first page
   *     decrypts with neither key derivation)
   */
  static Checked beforeWrites(
      Path dir, Path db, byte[] storeKey, Mac mac, LocalDate today, StoreOptions options)
      throws SQLException, StoreException {
    EncryptedDatabase.Keyed keyed = EncryptedDatabase.connectExistingReadOnly(db, storeKey, options.busyTimeout());
    try (Connection c = keyed.connection()) {
      return new Checked(keyed.kdf(), check(dir, db, c, mac, today, options));
    }
  }

  private static Optional<VerificationResult> check(
      Path dir, Path db, Connection c, Mac mac, LocalDate today, StoreOptions options)
      throws SQLException, StoreException {
    c.setAutoCommit(false);
    int version = Schema.version(c);
    c.rollback();
    if (version > Schema.CURRENT_VERSION) {
      throw new SQLException(Schema.newerThanThisBuild(version));
    }
    if (version == 0) {
      return Optional.empty(); // a file a first open left before its schema: no data to check
    }
    if (version < Schema.CURRENT_VERSION || EncryptedDatabase.hasLog(db)) {
      Optional<String> found = FilePages.damaged(c, "PRAGMA quick_check");
      if (found.isPresent()) {
        throw new StoreException(TelemetryStore.damagedPage(dir, found.get()));
      }
    }
    if (version < Schema.CURRENT_VERSION) {
      return Optional.empty();
    }
    Optional<String> ledger = LedgerPages.damaged(c, today);
    c.rollback();
    if (ledger.isPresent()) {
      throw new StoreException("the ledger in " + dir + " has a page that does not read back as written, in "
          + ledger.get() + ": the file was altered or damaged; restore the data directory from a backup");
    }
    try (PreparedStatement ps = c.prepareStatement(TODAYS_INDEX)) {
      // The part of journal_kind_day that TelemetryStore#spendBelowRows reads after the hold
      // recovery has written (the rows themselves the chain's verification reads): a page of it
      // failing its tag refuses here, before that.
      ps.setString(1, today.toString());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
      }
      LedgerPages.forceCipherError(c);
    } catch (SQLException e) {
      if (LedgerPages.corrupt(e)) {
        throw new StoreException(TelemetryStore.damagedPage(dir,
            "today's request rows (journal, journal_kind_day): " + e.getMessage()), e);
      }
      throw e;
    } finally {
      c.rollback();
    }
    VerificationResult v = ChainVerifier.verify(c, mac);
    LedgerPages.forceCipherError(c);
    c.rollback();
    if (!v.ok() && !options.acceptBrokenChain()) {
      throw new StoreException(
          TelemetryStore.describe(dir, v) + "; refusing to start (an operator override can accept it)");
    }
    return Optional.of(v);
  }
}
