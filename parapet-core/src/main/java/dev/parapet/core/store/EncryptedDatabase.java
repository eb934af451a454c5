package dev.parapet.core.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileSystems;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;
import org.sqlite.mc.SQLiteMCChacha20Config;
import org.sqlite.mc.SQLiteMCConfig;

/**
 * Opens {@code parapet.db} through SQLite3 Multiple Ciphers.
 *
 * <p>Cipher: ChaCha20-Poly1305 ({@code cipher=chacha20}, SQLite3MC's sqleet-compatible scheme):
 * every page is encrypted, so a copied file reveals neither names nor figures. Each page carries a
 * Poly1305 tag, checked on every read ({@code hmac_check} is on, and SQLite3MC 1.5.5 has no
 * setting that does more), but a failed tag does not fail that read: the page is returned
 * decrypted, so a bit flipped in the file (no key needed) reads back as the same bit flipped in a
 * value, and the connection's pager is put in an error state that fails the next page fetched in
 * the same transaction ({@code SQLITE_CORRUPT}) and is dropped when the transaction ends. An
 * autocommit read never sees it. What guards the figures is therefore how they are read: the
 * journal is hash-chained ({@link ChainVerifier}), the ledger's pages are read whole at boot
 * inside one transaction ({@link LedgerPages}), and today's spend is checked against the chained
 * rows ({@link TelemetryStore#spendBelowRows}). The WAL is encrypted with the same key.
 *
 * <p>Key: the 32-byte store key (an HKDF-SHA256 sub-key of the master key, so 256 uniformly random
 * bits to anyone without the master key) is given as binary ({@code PRAGMA hexkey}), never as text.
 * SQLite3MC's chacha20 scheme treats it as a passphrase: the cipher's key is PBKDF2-HMAC-SHA256 of
 * it and a random 16-byte salt that the file keeps in its first 16 bytes, with {@code kdf_iter}
 * iterations, a setting the file does not record (a store opens only with the one it was created
 * with). A store created now uses one iteration ({@link Kdf#SINGLE_ITERATION}): the cipher's key is
 * then HMAC-SHA256 keyed with the store key over the salt, a PRF output as unpredictable as the
 * key itself. Iterations multiply the cost of each guess at a passphrase, which matters when the
 * passphrase could be guessed; nobody can enumerate 2^256 store keys, at one iteration or at
 * 64,007, so they added nothing in strength, and cost 25-40 ms of CPU per connection (four or five
 * per boot; bench/profile-notes.md, twentieth round). The salt still gives each file its own key
 * (SQLite3MC's raw-key form, {@code 'raw:'} and the key in hex, would skip PBKDF2 as cheaply, but
 * use the one key for every file).
 * A store created before this build keeps SQLite3MC's default of 64,007 ({@link Kdf#LEGACY}) and its
 * cost: it is not re-keyed, because {@code PRAGMA rekey} cannot run in WAL mode and rewrites every
 * page in one transaction whose recovery after a crash this build does not test. An existing store
 * is first opened read-only with one iteration, then, if its first page does not decrypt, with
 * 64,007 ({@link #connectExistingReadOnly}); the setting found is used by every connection of that
 * open. A first page that fails both (another key, or a damaged or altered first page) is refused
 * as before ({@link WrongKeyException}); a page that decrypts under the wrong one of two keys would
 * need a forged Poly1305 tag.
 *
 * <p>Pages: a new store is created with 1 KiB pages ({@value #NEW_PAGE_SIZE} bytes, not SQLite's
 * 4 KiB). Every commit re-encrypts and writes each page it touched, whole: a call's hold, its
 * settlement and its row touch about seven pages (the hold table, the spend row, the journal and
 * its two indexes, the chain head) for a few hundred bytes of data. With 1 KiB pages the writer
 * spends 30-45 % less CPU per call (measured at one, eight and ten paced callers; 16 % less when
 * saturated, where commits are shared by 32 calls), and a lone hold's commit is a third shorter.
 * A store created with other pages keeps them: SQLite fixes the page size when the file is made.
 *
 * <p>Durability: WAL with {@code synchronous=NORMAL}. A committed transaction is in the WAL before
 * {@code COMMIT} returns, so killing the process (kill -9) loses nothing committed; a power loss
 * or OS crash can lose the last transactions not yet synced by a checkpoint. That is the trade
 * SQLite documents for WAL+NORMAL, taken here because fsync on every batch would cap throughput.
 *
 * <p>The key reaches the driver as a hex string in its connection properties; Java strings cannot
 * be wiped, so that copy lives until garbage collection. Every byte and char array made here is
 * zeroed.
 */
final class EncryptedDatabase {
  static final String FILE_NAME = "parapet.db";
  static final String LOCK_NAME = "parapet.lock";
  /** The page size of a store created now; see the class comment. */
  static final int NEW_PAGE_SIZE = 1024;

  private EncryptedDatabase() {}

  /** Creates {@code dir} (0700) and an empty {@code parapet.db} (0600) if they do not exist. */
  static boolean prepareFiles(Path dir) throws IOException {
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    if (!Files.isDirectory(dir)) {
      if (posix) {
        Files.createDirectories(
            dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } else {
        Files.createDirectories(dir);
      }
    }
    Path db = dir.resolve(FILE_NAME);
    if (Files.exists(db)) {
      return Files.size(db) == 0;
    }
    if (posix) {
      Files.createFile(
          db, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } else {
      Files.createFile(db);
    }
    return true;
  }

  /**
   * Takes an exclusive lock on {@code parapet.lock} for the life of the store. Two processes
   * writing one chain would each extend it from the same head and break it; the second one is
   * refused instead. The OS drops the lock when the process dies, kill -9 included.
   *
   * @return the lock, or empty if another process (or this one) holds it
   */
  static java.util.Optional<FileLock> lock(Path dir) throws IOException {
    Path file = dir.resolve(LOCK_NAME);
    FileChannel ch =
        FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
            ? FileChannel.open(
                file,
                java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
            : FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    if (lock == null) {
      ch.close();
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(lock);
  }

  /**
   * A keyed connection in WAL mode. Reads the schema once so that a wrong key fails here, with
   * {@link WrongKeyException}, not at the first write.
   */
  static Connection connect(Path db, byte[] storeKey, Duration busyTimeout, Kdf kdf) throws SQLException {
    return connect(db, storeKey, busyTimeout, kdf, NEW_PAGE_SIZE);
  }

  /**
   * As {@link #connect(Path, byte[], Duration, Kdf)}, creating an empty file with {@code
   * newPageSize} pages (tests make stores as older builds did).
   */
  static Connection connect(Path db, byte[] storeKey, Duration busyTimeout, Kdf kdf, int newPageSize)
      throws SQLException {
    // The page size first: it takes effect only while the file is empty, and switching to WAL
    // writes the file's first page. On an existing store both are no-ops (WAL mode persists).
    return open("jdbc:sqlite:" + db.toAbsolutePath(), storeKey, busyTimeout, kdf, false,
        "PRAGMA page_size=" + newPageSize, "PRAGMA journal_mode=WAL");
  }

  /**
   * A keyed connection that cannot write the store: SQLite opens {@code parapet.db} with {@code
   * SQLITE_OPEN_READONLY} (its descriptor is read-only, so neither a statement nor a checkpoint,
   * explicit or on close, can write it; a checkpoint fails with an I/O error and the write-ahead
   * log, whose deletion follows only a checkpoint that succeeded, is left as it is). With a
   * non-empty {@code -wal} it reads through it, as the gateway would (SQLite may create the
   * {@code -shm} index, which holds no data); without one the file is opened {@code immutable},
   * so no empty {@code -wal} or {@code -shm} is left behind. Used before any connection that could
   * checkpoint opens (a page altered in the log must not be copied into the file with a valid tag)
   * and by the commands that only read. No pragma that writes (page size, journal mode) is run.
   * Reads the schema once, so that a wrong key fails here with {@link WrongKeyException}.
   */
  static Connection connectReadOnly(Path db, byte[] storeKey, Duration busyTimeout, Kdf kdf) throws SQLException {
    Path file = db.toAbsolutePath();
    // Immutable by a URI parameter (SQLite decodes the path's %-escapes).
    String url = hasLog(file) ? "jdbc:sqlite:" + file
        : "jdbc:sqlite:" + file.toUri().toASCIIString() + "?immutable=1";
    return open(url, storeKey, busyTimeout, kdf, true);
  }

  /**
   * As {@link #connectReadOnly}, for a store that exists, whichever setting it was created with:
   * one iteration first, then (only on {@link WrongKeyException}, i.e. {@code SQLITE_NOTADB}: the
   * first page did not decrypt) SQLite3MC's default. Neither attempt can write the file. Any other
   * error is thrown as it is.
   *
   * @throws WrongKeyException if the first page decrypts with neither: another key, or a first
   *     page altered or damaged
   */
  static Keyed connectExistingReadOnly(Path db, byte[] storeKey, Duration busyTimeout) throws SQLException {
    try {
      return new Keyed(connectReadOnly(db, storeKey, busyTimeout, Kdf.SINGLE_ITERATION), Kdf.SINGLE_ITERATION);
    } catch (WrongKeyException e) {
      return new Keyed(connectReadOnly(db, storeKey, busyTimeout, Kdf.LEGACY), Kdf.LEGACY);
    }
  }

  /** A read-only connection and the key derivation it opened with, for the open's other connections. */
  record Keyed(Connection connection, Kdf kdf) {}

  /**
   * How many PBKDF2-HMAC-SHA256 iterations turn the store key into the cipher's key (see the class
   * comment). The file does not record it: each open finds it once and passes it to every
   * connection it makes.
   */
  enum Kdf {
    /** A store created by this build or a later one. */
    SINGLE_ITERATION(1),
    /** A store created by an older build: SQLite3MC's default for chacha20. */
    LEGACY(64_007);

    final int iterations;

    Kdf(int iterations) {
      this.iterations = iterations;
    }
  }

  private static Connection open(String url, byte[] storeKey, Duration busyTimeout, Kdf kdf, boolean readOnly,
      String... firstPragmas) throws SQLException {
    SqliteNative.load();
    byte[] key = storeKey.clone();
    SQLiteMCConfig config;
    try {
      config = SQLiteMCChacha20Config.getDefault().setKdfIter(kdf.iterations).withHexKey(key).build();
    } finally {
      Arrays.fill(key, (byte) 0);
    }
    config.setReadOnly(readOnly);
    config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
    config.setBusyTimeout((int) busyTimeout.toMillis());
    config.enforceForeignKeys(true);
    Connection c;
    try {
      c = config.createConnection(url);
    } catch (SQLiteException e) {
      throw mapOpenError(e);
    }
    try (Statement st = c.createStatement()) {
      for (String pragma : firstPragmas) {
        st.execute(pragma);
      }
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM sqlite_master")) {
        rs.next();
      }
    } catch (SQLiteException e) {
      c.close();
      throw mapOpenError(e);
    }
    return c;
  }

  /** Whether {@code db}'s write-ahead log exists and holds anything (after a crash or kill -9). */
  static boolean hasLog(Path db) {
    try {
      Path log = db.resolveSibling(db.getFileName() + "-wal");
      return Files.exists(log) && Files.size(log) > 0;
    } catch (IOException e) {
      return true; // read through it, as SQLite would
    }
  }

  private static SQLException mapOpenError(SQLiteException e) {
    if (e.getResultCode() == SQLiteErrorCode.SQLITE_NOTADB) {
      return new WrongKeyException();
    }
    return e;
  }

  /** The file is not readable with this key: another master key, or not an encrypted store. */
  static final class WrongKeyException extends SQLException {
    private static final long serialVersionUID = 1L;

    WrongKeyException() {
      super("file is not readable with this key");
    }
  }
}
