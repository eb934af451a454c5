package dev.parapet.core.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.crypto.Mac;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only thread that writes the store ({@code parapet-store-writer}). Callers enqueue and
 * return; the writer commits in batches, so an event loop never waits on disk.
 *
 * <p>Three queues, drained in this order:
 *
 * <ol>
 *   <li>maintenance tasks (recovery, retention, chain restart): one per transaction;
 *   <li>ledger work — holds, settlements, releases — never dropped. A hold is admitted only while
 *       fewer than {@code maxOpenHolds} holds wait to be committed (the runtime's ledger admits no
 *       more open holds than that, so this refuses only when the writer is behind); settlements
 *       and releases are always admitted: each follows exactly one committed hold, and a new
 *       hold commits only after them (FIFO), so the queue stays within about twice that bound;
 *   <li>detail work — request and event rows — in a bounded queue; a full queue sheds the record
 *       and counts it.
 * </ol>
 *
 * <p>Batching: a batch holds whatever is queued, up to {@code batchSize}. When it contains a hold
 * it commits at once (its caller waits on it). Nobody waits on settlements, releases or rows, so a
 * batch of only those waits up to {@code batchWindow} to fill, and a hold arriving meanwhile ends
 * the wait and commits with them: below saturation a call then costs one commit, its hold's,
 * instead of two. Under load this is group commit; at rest it adds no latency to a hold. The
 * price, after a kill -9: a settlement up to {@code batchWindow} old is lost, and the next boot
 * settles its hold at the hold's worst case (more than the call cost, never less). A caller's next
 * hold commits after its earlier settlements (FIFO), so a caller still leaves at most one open
 * hold behind.
 *
 * <p>Failures (disk full, read-only file system): the writer never dies. Holds in the failed
 * batch fail their future (the caller refuses: fail closed) and are not retried, so a refused
 * call leaves no hold behind. Settlements and releases are retried with backoff until they
 * commit. Detail rows are retried once, then shed and counted.
 */
final class StoreWriter implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(StoreWriter.class);
  static final String THREAD_NAME = "parapet-store-writer";
  private static final long MAX_BACKOFF_MILLIS = 2_000;

  private final Connection connection;
  /** The batch statements, compiled once; only the writer thread uses them. */
  private final StatementCache statements;
  private final Mac mac;
  private final StoreOptions options;
  private ChainState chain;

  private final ConcurrentLinkedQueue<LedgerWork> ledger = new ConcurrentLinkedQueue<>();
  private final AtomicInteger ledgerDepth = new AtomicInteger();
  private final AtomicInteger holdsWaiting = new AtomicInteger();
  private final ArrayBlockingQueue<JournalEntry> detail;
  private final ConcurrentLinkedQueue<MaintenanceTask<?>> tasks = new ConcurrentLinkedQueue<>();
  private final ArrayDeque<LedgerWork> ledgerRetry = new ArrayDeque<>();
  private final ArrayDeque<JournalEntry> detailRetry = new ArrayDeque<>();
  /** Size of {@link #detailRetry}, readable from other threads for the depth gauge. */
  private volatile int detailRetrying;

  private final ShedWarning shed = new ShedWarning();
  private final AtomicLong writeFailures = new AtomicLong();
  private final AtomicLong commits = new AtomicLong();
  private final AtomicInteger largestBatch = new AtomicInteger();
  private final WriterProgress progress = new WriterProgress();

  private final Thread thread;
  private volatile boolean stopping;
  private volatile boolean closed;
  private volatile boolean paused;
  private final AtomicInteger injectedFailures = new AtomicInteger();
  private int consecutiveFailures;

  StoreWriter(Connection connection, Mac mac, ChainState chain, StoreOptions options) {
    this.connection = connection;
    this.statements = new StatementCache(connection);
    this.mac = mac;
    this.chain = chain;
    this.options = options;
    this.detail = new ArrayBlockingQueue<>(options.detailQueueCapacity());
    this.thread = new Thread(this, THREAD_NAME);
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  CompletableFuture<Void> persistHold(HoldRecord hold) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (closed) {
      done.completeExceptionally(new StoreException("telemetry store is closed"));
      return done;
    }
    if (holdsWaiting.incrementAndGet() > options.maxOpenHolds()) {
      holdsWaiting.decrementAndGet();
      done.completeExceptionally(
          new StoreOverloadedException(
              "ledger queue full (" + options.maxOpenHolds() + " holds waiting)"));
      return done;
    }
    ledgerDepth.incrementAndGet();
    enqueueLedger(new LedgerWork.Hold(hold, done));
    if (closed && !thread.isAlive()) {
      failLeftovers(); // raced with close(): the writer is gone
    }
    return done;
  }

  void persistSettlement(SettlementRecord s) {
    ledgerDepth.incrementAndGet();
    enqueueLedger(new LedgerWork.Settle(s));
  }

  void persistRelease(String holdId) {
    ledgerDepth.incrementAndGet();
    enqueueLedger(new LedgerWork.Release(holdId));
  }

  private void enqueueLedger(LedgerWork work) {
    if (closed && !(work instanceof LedgerWork.Hold)) {
      LOG.error("telemetry store: ledger work arrived after close and was not stored");
    }
    progress.submitted();
    ledger.add(work);
    LockSupport.unpark(thread);
  }

  boolean offer(JournalEntry entry) {
    if (closed || !detail.offer(entry)) {
      shed.shed(1);
      return false;
    }
    progress.submitted();
    LockSupport.unpark(thread);
    return true;
  }

  <T> CompletableFuture<T> submit(MaintenanceTask.Body<T> body) {
    CompletableFuture<T> done = new CompletableFuture<>();
    if (closed) {
      done.completeExceptionally(new StoreException("telemetry store is closed"));
      return done;
    }
    progress.submitted();
    tasks.add(new MaintenanceTask<>(body, done));
    LockSupport.unpark(thread);
    if (closed && !thread.isAlive()) {
      failLeftovers();
    }
    return done;
  }

  long shedCount() {
    return shed.count();
  }

  long writeFailures() {
    return writeFailures.get();
  }

  int queueDepth() {
    return ledgerDepth.get() + detail.size() + detailRetrying;
  }

  /** Waits until everything enqueued before the call is committed, shed or failed. */
  boolean flush(Duration timeout) {
    return progress.await(timeout, () -> LockSupport.unpark(thread));
  }

  /**
   * Drains (up to {@code timeout}), then stops the thread. Later work is refused.
   *
   * @return the ledger items (holds, settlements, releases) and detail rows still unwritten when
   *     the thread stopped: lost, 0 after a clean close
   */
  int close(Duration timeout) {
    boolean drained = flush(timeout);
    closed = true;
    stopping = true;
    paused = false;
    LockSupport.unpark(thread);
    try {
      thread.join(Math.max(1, timeout.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      thread.interrupt();
      try {
        thread.join(1_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    int ledgerLeft = ledger.size() + ledgerRetry.size();
    int rowsLeft = detail.size() + detailRetry.size();
    if (ledgerLeft + rowsLeft > 0) {
      LOG.error("telemetry store: closed with {} ledger items and {} rows not stored{}",
          ledgerLeft, rowsLeft, drained ? "" : " (not drained within " + timeout.toMillis() + " ms)");
    }
    failLeftovers();
    return ledgerLeft + rowsLeft;
  }

  /** After the thread has stopped: no future may wait forever on work nobody will do. */
  private void failLeftovers() {
    for (LedgerWork l; (l = ledger.poll()) != null; ) {
      if (l instanceof LedgerWork.Hold h) {
        h.done().completeExceptionally(new StoreException("telemetry store is closed"));
      }
    }
    for (MaintenanceTask<?> t; (t = tasks.poll()) != null; ) {
      t.done().completeExceptionally(new StoreException("telemetry store is closed"));
    }
  }

  Connection connection() {
    return connection;
  }

  /** Batches committed so far; for tests of batching. */
  long commitCount() {
    return commits.get();
  }

  /** Statements the writer holds compiled; for tests. Read it only while the writer is idle. */
  int preparedStatements() {
    return statements.size();
  }

  int largestBatch() {
    return largestBatch.get();
  }

  /** Test hook: hold the writer still so queues fill. */
  void pauseForTest() {
    paused = true;
  }

  void resumeForTest() {
    paused = false;
    LockSupport.unpark(thread);
  }

  /** Test hook: the next {@code n} batch commits fail as a full disk would. */
  void failNextCommitsForTest(int n) {
    injectedFailures.set(n);
  }

  @Override
  public void run() {
    try {
      loop();
    } finally {
      statements.close();
    }
  }

  private void loop() {
    try {
      connection.setAutoCommit(false);
    } catch (SQLException e) {
      LOG.error("telemetry store: cannot start writer transactions: {}", e.getMessage());
    }
    while (!Thread.currentThread().isInterrupted()) {
      if (paused && !stopping) {
        LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(5));
        continue;
      }
      MaintenanceTask<?> task = tasks.poll();
      if (task != null) {
        ChainState next = chain.copy();
        if (task.runIn(connection, mac, next)) {
          chain = next;
        } else {
          writeFailures.incrementAndGet();
        }
        done(1);
        continue;
      }
      List<LedgerWork> ledgerBatch = new ArrayList<>();
      List<JournalEntry> detailBatch = new ArrayList<>();
      fill(ledgerBatch, detailBatch);
      if (ledgerBatch.isEmpty() && detailBatch.isEmpty()) {
        shed.maybeLog();
        if (stopping) {
          return;
        }
        LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(100));
        continue;
      }
      if (!hasHold(ledgerBatch) && ledgerBatch.size() + detailBatch.size() < options.batchSize()) {
        // Nobody waits on settlements, releases or rows: they wait up to the window for company,
        // and a hold, whose caller does wait, ends the wait and takes them along.
        long until = System.nanoTime() + options.batchWindow().toNanos();
        while (ledgerBatch.size() + detailBatch.size() < options.batchSize() && !stopping) {
          long left = until - System.nanoTime();
          if (left <= 0) {
            break;
          }
          LedgerWork l = ledgerRetry.isEmpty() ? ledger.poll() : null;
          if (l != null) {
            ledgerBatch.add(l);
            if (l instanceof LedgerWork.Hold) {
              break;
            }
            continue;
          }
          JournalEntry e = detail.poll();
          if (e == null) {
            // Every enqueue unparks this thread, so sleep out the window: waking every 0.5 ms to
            // look was ten wake-ups per window for nothing, at any rate below saturation.
            LockSupport.parkNanos(this, left);
          } else {
            detailBatch.add(e);
          }
        }
        fill(ledgerBatch, detailBatch);
      }
      commit(ledgerBatch, detailBatch);
      shed.maybeLog();
    }
  }

  private static boolean hasHold(List<LedgerWork> ledgerBatch) {
    for (LedgerWork l : ledgerBatch) {
      if (l instanceof LedgerWork.Hold) {
        return true;
      }
    }
    return false;
  }

  private void fill(List<LedgerWork> ledgerBatch, List<JournalEntry> detailBatch) {
    int max = options.batchSize();
    while (ledgerBatch.size() + detailBatch.size() < max && !ledgerRetry.isEmpty()) {
      ledgerBatch.add(ledgerRetry.poll());
    }
    for (LedgerWork l; ledgerBatch.size() + detailBatch.size() < max && (l = ledger.poll()) != null; ) {
      ledgerBatch.add(l);
    }
    while (ledgerBatch.size() + detailBatch.size() < max && !detailRetry.isEmpty()) {
      detailBatch.add(detailRetry.poll());
    }
    for (JournalEntry e; ledgerBatch.size() + detailBatch.size() < max && (e = detail.poll()) != null; ) {
      detailBatch.add(e);
    }
    detailRetrying = detailRetry.size();
  }

  private void commit(List<LedgerWork> ledgerBatch, List<JournalEntry> detailBatch) {
    ChainState next = chain.copy();
    try {
      for (LedgerWork l : ledgerBatch) {
        if (l instanceof LedgerWork.Hold h) {
          LedgerTables.insertHold(statements, h.hold());
        } else if (l instanceof LedgerWork.Settle s) {
          LedgerTables.settle(statements, s.settlement());
        } else if (l instanceof LedgerWork.Release r) {
          LedgerTables.deleteHold(statements, r.holdId());
        }
      }
      if (!detailBatch.isEmpty()) {
        PreparedStatement insert = statements.get(JournalEntry.INSERT);
        for (JournalEntry e : detailBatch) {
          next.append(insert, mac, e);
        }
        next.writeHead(statements, mac);
      }
      if (injectedFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new SQLException("[SQLITE_FULL] database or disk is full (injected by a test)");
      }
      connection.commit();
    } catch (SQLException | RuntimeException e) {
      failed(ledgerBatch, detailBatch, e);
      return;
    }
    chain = next;
    consecutiveFailures = 0;
    commits.incrementAndGet();
    largestBatch.accumulateAndGet(ledgerBatch.size() + detailBatch.size(), Math::max);
    for (LedgerWork l : ledgerBatch) {
      if (l instanceof LedgerWork.Hold h) {
        holdsWaiting.decrementAndGet();
        h.done().complete(null);
      }
    }
    ledgerDepth.addAndGet(-ledgerBatch.size());
    done(ledgerBatch.size() + detailBatch.size());
  }

  private void failed(List<LedgerWork> ledgerBatch, List<JournalEntry> detailBatch, Exception e) {
    rollback();
    writeFailures.incrementAndGet();
    consecutiveFailures++;
    // SQLite messages name the error and at most a table or column, never a value or a key.
    LOG.error(
        "telemetry store: write of {} ledger and {} detail items failed (attempt {}): {}",
        ledgerBatch.size(), detailBatch.size(), consecutiveFailures, e.getMessage());
    int finished = 0;
    for (int i = ledgerBatch.size() - 1; i >= 0; i--) {
      LedgerWork l = ledgerBatch.get(i);
      if (l instanceof LedgerWork.Hold h) {
        h.done().completeExceptionally(new StoreException("hold not stored: " + e.getMessage(), e));
        ledgerDepth.decrementAndGet();
        holdsWaiting.decrementAndGet();
        finished++;
      } else {
        ledgerRetry.addFirst(l);
      }
    }
    if (consecutiveFailures >= 2) {
      shed.shed(detailBatch.size());
      finished += detailBatch.size();
    } else {
      for (int i = detailBatch.size() - 1; i >= 0; i--) {
        detailRetry.addFirst(detailBatch.get(i));
      }
    }
    detailRetrying = detailRetry.size();
    done(finished);
    long backoff = Math.min(MAX_BACKOFF_MILLIS, 25L << Math.min(consecutiveFailures, 7));
    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(backoff));
  }

  private void rollback() {
    statements.close(); // the driver finalizes a statement on some errors; start afresh
    try {
      connection.rollback();
    } catch (SQLException ignored) {
      // The connection is in a bad state already; the next batch reports it.
    }
  }

  private void done(int n) {
    progress.finished(n);
  }
}
