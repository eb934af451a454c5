package dev.parapet.core.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the write-ahead log back into the database on its own thread and connection, so the
 * writer's commits never do it.
 *
 * <p>Why: SQLite checkpoints automatically on the commit that takes the WAL past 1,000 pages, in
 * the committing thread, and that checkpoint (decrypting, re-encrypting and syncing every page)
 * took ~5 ms here, every few hundred commits. Every budget hold queued behind it waited too: that
 * was most of the p99 of a forwarded call at ~1,000 req/s (+3.9 ms over direct; +1.4 ms with this
 * thread). A {@code PASSIVE} checkpoint from another connection takes no write lock, so the
 * writer keeps committing while it runs.
 *
 * <p>Under steady writes a passive checkpoint never finds the WAL fully copied back (commits land
 * while it runs), so it cannot let the WAL start over. The writer keeps its own automatic
 * checkpoint for that, at {@value #WRITER_BACKSTOP_PAGES} pages: by then this thread has copied
 * nearly every frame, so the writer's pass is short, and the next commit restarts the WAL. It is
 * also the bound should this thread stop (a failure here is logged). Measured in isolation: commits
 * over 1 ms fell from 0.35 % to 0.05 %, p99.9 from 4.7 ms to 0.35 ms; the WAL file grows to ~32 MB
 * instead of ~4 MB (with the 4 KiB pages of the time; a store is now made with 1 KiB pages). Every {@value #INTERVAL_MILLIS} ms: every 100 ms cost ~7 % of peak throughput in
 * the bench, 250 ms nothing measurable.
 *
 * <p>The connection is opened on this thread, so boot does not pay for its key derivation; the key
 * copy is zeroed once it is open.
 */
final class Checkpointer implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);
  static final String THREAD_NAME = "parapet-store-checkpoint";
  /** The writer checkpoints by itself only past this many WAL pages (~8 MB of 1 KiB pages). */
  static final int WRITER_BACKSTOP_PAGES = 8_000;
  static final long INTERVAL_MILLIS = 250;

  private final Path db;
  private final byte[] key;
  private final Duration busyTimeout;
  /** The open's key derivation: the store's file opens only with the one it was created with. */
  private final EncryptedDatabase.Kdf kdf;
  private final Thread thread;
  private volatile boolean stopping;
  private final AtomicLong runs = new AtomicLong();
  private volatile long logFrames = -1;
  private volatile long checkpointedFrames = -1;

  Checkpointer(Path db, byte[] storeKey, Duration busyTimeout, EncryptedDatabase.Kdf kdf) {
    this.db = db;
    this.kdf = kdf;
    this.key = storeKey.clone();
    this.busyTimeout = busyTimeout;
    this.thread = new Thread(this, THREAD_NAME);
    thread.setDaemon(true);
  }

  /** Sets the writer's backstop; call before the writer's first commit. */
  static void configureWriter(Connection writer) throws SQLException {
    try (Statement st = writer.createStatement()) {
      st.execute("PRAGMA wal_autocheckpoint=" + WRITER_BACKSTOP_PAGES);
    }
  }

  void start() {
    thread.start();
  }

  @Override
  public void run() {
    Connection c;
    try {
      c = EncryptedDatabase.connect(db, key, busyTimeout, kdf);
    } catch (SQLException e) {
      LOG.warn("telemetry store: no background checkpoints ({}); the writer checkpoints past {} pages",
          e.getMessage(), WRITER_BACKSTOP_PAGES);
      return;
    } finally {
      Arrays.fill(key, (byte) 0);
    }
    try (c; Statement st = c.createStatement()) {
      while (!stopping) {
        LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(INTERVAL_MILLIS));
        if (stopping) {
          break;
        }
        try (ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
          if (rs.next()) {
            logFrames = rs.getLong(2);
            checkpointedFrames = rs.getLong(3);
          }
        }
        runs.incrementAndGet();
      }
    } catch (SQLException e) {
      if (!stopping) {
        LOG.warn("telemetry store: background checkpoints stopped ({}); the writer checkpoints past {} pages",
            e.getMessage(), WRITER_BACKSTOP_PAGES);
      }
    }
  }

  /** Stops the thread (waiting up to 2 s) and closes its connection. */
  void close() {
    stopping = true;
    LockSupport.unpark(thread);
    try {
      thread.join(TimeUnit.SECONDS.toMillis(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Checkpoints run so far (tests). */
  long runs() {
    return runs.get();
  }

  /** Whether the last checkpoint copied every frame the WAL held (tests). */
  boolean caughtUp() {
    return logFrames >= 0 && logFrames == checkpointedFrames;
  }
}
