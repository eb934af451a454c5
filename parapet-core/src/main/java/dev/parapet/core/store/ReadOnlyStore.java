package dev.parapet.core.store;

import dev.parapet.core.store.EncryptedDatabase.WrongKeyException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Mac;

/**
 * The store opened for the commands that only read it ({@code verify-store}, {@code
 * show-request}), with the gateway stopped or on a copy: one connection that cannot write ({@link
 * EncryptedDatabase#connectReadOnly}), so no migration, no checkpoint and no deletion of the
 * write-ahead log, and {@code parapet.db} and its {@code -wal} are left byte for byte as they
 * were. A {@link TelemetryStore} would copy the log into the file when it closes, re-encrypting a
 * page altered there with a valid tag: checking a backup would have laundered it.
 *
 * <p>A missing or empty {@code parapet.db}, or one with no schema, is an error, never a new store.
 * A shared lock on {@code parapet.lock} (when the file exists; nothing is created) refuses while a
 * gateway holds the store, and keeps one from starting meanwhile. Not thread-safe: one command.
 */
public final class ReadOnlyStore implements AutoCloseable {
  private final Path dataDir;
  private final FileChannel lock;
  private final Connection c;
  private final ChainKey chainKey;
  private final Mac mac;

  private ReadOnlyStore(Path dataDir, FileChannel lock, Connection c, ChainKey chainKey) {
    this.dataDir = dataDir;
    this.lock = lock;
    this.c = c;
    this.chainKey = chainKey;
    this.mac = chainKey.newMac();
  }

  /**
   * @param storeKey the 32-byte {@code KeyPurpose.STORE} key; the caller keeps ownership
   * @param macKey the 32-byte {@code KeyPurpose.STORE_MAC} key; copied, the copy zeroed on close
   * @throws StoreException if there is no store, a gateway holds it, the key is not its key, or
   *     its schema is not this build's
   */
  public static ReadOnlyStore open(Path dataDir, byte[] storeKey, byte[] macKey) throws StoreException {
    Objects.requireNonNull(dataDir, "dataDir");
    Path db = dataDir.resolve(EncryptedDatabase.FILE_NAME);
    try {
      if (!Files.isRegularFile(db) || Files.size(db) == 0) {
        throw new StoreException("no telemetry store in " + dataDir);
      }
    } catch (IOException e) {
      throw new StoreException("cannot read the store in " + dataDir + ": " + e.getMessage(), e);
    }
    FileChannel lock = lockShared(dataDir);
    Connection c = null;
    ChainKey chainKey = null;
    try {
      c = EncryptedDatabase.connectExistingReadOnly(db, storeKey, StoreOptions.DEFAULT_BUSY_TIMEOUT).connection();
      c.setAutoCommit(false);
      int version = Schema.version(c);
      c.rollback();
      if (version == 0) {
        throw new StoreException("no telemetry store in " + dataDir + " (the file holds no Parapet schema)");
      }
      if (version != Schema.CURRENT_VERSION) {
        throw new StoreException("cannot read the store in " + dataDir + ": " + (version > Schema.CURRENT_VERSION
            ? Schema.newerThanThisBuild(version)
            : "schema version " + version + " needs a migration: start the gateway on it once"));
      }
      chainKey = new ChainKey(macKey);
      return new ReadOnlyStore(dataDir, lock, c, chainKey);
    } catch (WrongKeyException e) {
      closeQuietly(c, chainKey, lock);
      throw new StoreException("the store in " + dataDir + " was not written with this master key"
          + " (or is not an encrypted Parapet store); it was left untouched");
    } catch (SQLException e) {
      closeQuietly(c, chainKey, lock);
      throw new StoreException("cannot read the store in " + dataDir + ": " + e.getMessage(), e);
    } catch (StoreException | RuntimeException e) {
      closeQuietly(c, chainKey, lock);
      throw e;
    }
  }

  /** A shared lock on the lock file if there is one (else null); refused while a gateway holds it. */
  private static FileChannel lockShared(Path dir) throws StoreException {
    FileChannel ch;
    try {
      ch = FileChannel.open(dir.resolve(EncryptedDatabase.LOCK_NAME), StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      return null; // no gateway ever ran on this directory (a copy)
    } catch (IOException e) {
      throw new StoreException("cannot read the store's lock in " + dir + ": " + e.getMessage(), e);
    }
    FileLock held;
    try {
      held = ch.tryLock(0, Long.MAX_VALUE, true);
    } catch (OverlappingFileLockException | IOException e) {
      held = null;
    }
    if (held == null) {
      closeQuietly(null, null, ch);
      throw new StoreException("the store in " + dir + " is in use by another Parapet process");
    }
    return ch;
  }

  /**
   * Reads every page of the file that holds data in one transaction, with {@code PRAGMA
   * integrity_check} (see {@link FilePages}), through the write-ahead log if there is one.
   *
   * @return where a page fails the cipher's tag or SQLite's structure check, or empty
   */
  public Optional<String> damagedPage() throws StoreException {
    return read(() -> FilePages.damaged(c, "PRAGMA integrity_check"));
  }

  /** Recomputes the whole chain from the latest anchor in one read snapshot. */
  public VerificationResult verifyChain() throws StoreException {
    try {
      return read(() -> {
        VerificationResult v = ChainVerifier.verify(c, mac);
        LedgerPages.forceCipherError(c);
        return v;
      });
    } catch (StoreException e) {
      if (e.getCause() instanceof SQLException s && LedgerPages.corrupt(s)) {
        throw new StoreException(TelemetryStore.damagedPage(dataDir, "the chained rows (journal): "
            + s.getMessage()), s);
      }
      throw e;
    }
  }

  /** One request's row by its id, while it is kept (see {@link TelemetryStore#request}). */
  public Optional<RequestRecord> request(String requestId) throws StoreException {
    Objects.requireNonNull(requestId, "requestId");
    return read(() -> UsageQueries.request(c, requestId));
  }

  @FunctionalInterface
  private interface Read<T> {
    T run() throws SQLException;
  }

  private <T> T read(Read<T> read) throws StoreException {
    try {
      try {
        return read.run();
      } finally {
        c.rollback();
      }
    } catch (SQLException e) {
      throw new StoreException("store read failed: " + e.getMessage(), e);
    }
  }

  /** Closes the connection (it writes nothing), zeroes the MAC key, releases the lock. */
  @Override
  public void close() {
    closeQuietly(c, chainKey, lock);
  }

  private static void closeQuietly(Connection c, ChainKey key, FileChannel lock) {
    try {
      if (c != null) {
        c.close();
      }
    } catch (SQLException ignored) {
      // nothing was written: nothing to lose
    }
    if (key != null) {
      key.close();
    }
    try {
      if (lock != null) {
        lock.close();
      }
    } catch (IOException ignored) {
      // closing the channel releases the lock; the OS does on exit too
    }
  }
}
