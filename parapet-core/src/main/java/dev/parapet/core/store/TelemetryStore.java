package dev.parapet.core.store;

import dev.parapet.core.store.EncryptedDatabase.WrongKeyException;
import java.io.IOException;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Mac;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The telemetry store and durable spend ledger in {@code PARAPET_DATA_DIR/parapet.db}: encrypted
 * at rest (see {@link EncryptedDatabase}), request and event rows hash-chained (see {@link
 * ChainVerifier}), written by one thread (see {@link StoreWriter}), its write-ahead log copied back
 * by another (see {@link Checkpointer}).
 *
 * <p>Threads: the {@code persist*} and {@code offer*} methods only enqueue and are safe on an
 * event loop. Every other method blocks (reads run on a second, read-only-by-use connection under
 * a lock, and the chain's verification on a third, so that a retention run's seconds of it never
 * hold up usage and event queries; writes are handed to the writer and awaited) and belongs on a
 * blocking executor or at boot.
 *
 * <p>Boot order for the runtime: {@link #open} (which reads what may refuse before anything can
 * write: see {@link BootChecks}), then {@link #recoverOpenHolds()} once, then {@link
 * #spendBelowRows} and {@link #spendForDay} for today, then serve.
 */
public final class TelemetryStore implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TelemetryStore.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
  private static final int KEY_LENGTH = 32;
  /** Days of per-request rows kept by default before {@link #applyRetention} rolls them up. */
  public static final int DEFAULT_RETENTION_DAYS = 90;

  private final Path dataDir;
  private final FileLock lock;
  private final ChainKey chainKey;
  private final StoreWriter writer;
  private final Connection reader;
  /**
   * A third connection, for the reads that take seconds (the chain's verification before a
   * retention run): on the reader they would hold up usage and event queries meanwhile.
   */
  private final Connection maintenance;
  private final Checkpointer checkpointer;
  private final Mac maintenanceMac;
  /** Test hook: runs inside the retention run's read snapshot, before the chain is verified. */
  volatile Runnable duringRetentionPlanForTest;
  private final AtomicBoolean holdsAccepted = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile long unwrittenAtClose;

  private TelemetryStore(Path dataDir, FileLock lock, ChainKey chainKey, StoreWriter writer, Connection reader,
      Connection maintenance, Checkpointer checkpointer) {
    this.dataDir = dataDir;
    this.lock = lock;
    this.chainKey = chainKey;
    this.writer = writer;
    this.reader = reader;
    this.maintenance = maintenance;
    this.checkpointer = checkpointer;
    this.maintenanceMac = chainKey.newMac();
  }

  /**
   * Loads SQLite's native library now, if no connection has yet (boot calls this on a second
   * thread while the blob is opened). Never throws: a failure is left to the first connection,
   * which reports it as it always did.
   */
  public static void loadNativeLibrary() {
    SqliteNative.load();
  }

  /**
   * Opens (or creates) the store in {@code dataDir}: keys the database, applies migrations,
   * verifies the hash chain and starts the writer thread. The caller keeps ownership of both key
   * arrays (this copies what it needs and zeroes its copies on {@link #close()}).
   *
   * @param storeKey the 32-byte {@code KeyPurpose.STORE} key: encrypts the database
   * @param macKey the 32-byte {@code KeyPurpose.STORE_MAC} key: MACs the chain
   * @throws StoreException if the directory cannot be created, the file was written with another
   *     key, a migration fails, or the chain is broken and {@link StoreOptions#acceptBrokenChain()}
   *     is off. Nothing is created or overwritten when the key is wrong.
   */
  public static TelemetryStore open(
      Path dataDir, byte[] storeKey, byte[] macKey, StoreOptions options) throws StoreException {
    return open(dataDir, storeKey, macKey, options, LocalDate.now(java.time.ZoneOffset.UTC));
  }

  /**
   * As {@link #open(Path, byte[], byte[], StoreOptions)}, with the day (UTC) whose eve and later
   * the ledger's page check reads. An existing store is read first on a connection that cannot
   * write it ({@link BootChecks}): a damaged page (in the file or in the write-ahead log a crash
   * left), a damaged ledger page or a broken chain (without the override) refuses here, leaving
   * {@code parapet.db} and its {@code -wal} byte for byte as they were.
   */
  public static TelemetryStore open(
      Path dataDir, byte[] storeKey, byte[] macKey, StoreOptions options, LocalDate today)
      throws StoreException {
    Objects.requireNonNull(today, "today");
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(storeKey, "storeKey");
    Objects.requireNonNull(macKey, "macKey");
    Objects.requireNonNull(options, "options");
    if (storeKey.length != KEY_LENGTH || macKey.length != KEY_LENGTH) {
      throw new IllegalArgumentException("store keys: expected 32 bytes each");
    }
    FileLock lock;
    boolean fresh;
    try {
      fresh = EncryptedDatabase.prepareFiles(dataDir);
      lock =
          EncryptedDatabase.lock(dataDir)
              .orElseThrow(
                  () ->
                      new StoreException(
                          "the store in " + dataDir + " is in use by another Parapet process"));
    } catch (IOException e) {
      throw new StoreException("cannot create the store in " + dataDir + ": " + e.getMessage(), e);
    }
    Path db = dataDir.resolve(EncryptedDatabase.FILE_NAME);
    ChainKey chainKey = new ChainKey(macKey);
    Connection writes = null;
    Connection reads = null;
    Connection maintenance = null;
    try {
      Mac mac = chainKey.newMac();
      // An empty file is created with one KDF iteration; an existing one is opened with the
      // setting it was created with, found once here and used by every connection below.
      BootChecks.Checked checked = fresh
          ? new BootChecks.Checked(EncryptedDatabase.Kdf.SINGLE_ITERATION, Optional.empty())
          : BootChecks.beforeWrites(dataDir, db, storeKey, mac, today, options);
      EncryptedDatabase.Kdf kdf = checked.kdf();
      writes = EncryptedDatabase.connect(db, storeKey, options.busyTimeout(), kdf);
      ChainState chain = openChain(dataDir, writes, mac, Schema.migrate(writes), checked.verified(), options);
      reads = EncryptedDatabase.connect(db, storeKey, options.busyTimeout(), kdf);
      maintenance = EncryptedDatabase.connect(db, storeKey, options.busyTimeout(), kdf);
      Checkpointer.configureWriter(writes);
      StoreWriter writer = new StoreWriter(writes, mac, chain, options);
      Checkpointer checkpointer = new Checkpointer(db, storeKey, options.busyTimeout(), kdf);
      TelemetryStore store = new TelemetryStore(dataDir, lock, chainKey, writer, reads, maintenance, checkpointer);
      writer.start();
      checkpointer.start();
      return store;
    } catch (WrongKeyException e) {
      closeQuietly(chainKey, writes, reads, maintenance);
      unlock(lock);
      throw new StoreException(
          "the store in " + dataDir + " was not written with this master key"
              + " (or is not an encrypted Parapet store); it was left untouched");
    } catch (SQLException e) {
      closeQuietly(chainKey, writes, reads, maintenance);
      unlock(lock);
      if (LedgerPages.corrupt(e)) { // the chain's verification read a page that failed its tag
        throw new StoreException(damagedPage(dataDir, "what the open reads (the schema and the chained rows): "
            + e.getMessage()), e);
      }
      throw new StoreException("cannot open the store in " + dataDir + ": " + e.getMessage(), e);
    } catch (StoreException | RuntimeException e) {
      closeQuietly(chainKey, writes, reads, maintenance);
      unlock(lock);
      throw e;
    }
  }

  /**
   * Verifies the chain at boot (unless {@code verified} holds {@link BootChecks}'s verification,
   * of the same snapshot: nothing wrote in between, under the lock); on an accepted break, anchors
   * a new segment after it.
   */
  private static ChainState openChain(
      Path dir, Connection c, Mac mac, int versionBefore, Optional<VerificationResult> verified,
      StoreOptions options) throws SQLException, StoreException {
    c.setAutoCommit(false);
    try {
      if (versionBefore == 0) {
        ChainState.genesis().writeHead(c, mac);
        c.commit();
      }
      VerificationResult v = verified.isPresent() ? verified.get() : ChainVerifier.verify(c, mac);
      if (v.ok()) {
        ChainState head = ChainState.loadHead(c);
        c.commit();
        return head;
      }
      if (!options.acceptBrokenChain()) {
        c.rollback();
        throw new StoreException(
            describe(dir, v) + "; refusing to start (an operator override can accept it)");
      }
      ChainState s =
          ChainState.acceptBreaks(
              c, mac, JournalEntry.micros(Instant.now()),
              b ->
                  LOG.error(
                      "{}; accepted by operator override, a new chain segment starts after it",
                      describe(dir, b)));
      c.commit();
      return s;
    } catch (SQLException | StoreException | RuntimeException e) {
      try {
        c.rollback();
      } catch (SQLException ignored) {
        // reported by the caller
      }
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  /** The one line for a page that does not read back as written, {@code where} saying where and how. */
  public static String damagedPage(Path dir, String where) {
    return "the store in " + dir + " has a page that does not read back as written, in " + where
        + ": the file was altered or damaged; restore the data directory from a backup";
  }

  static String describe(Path dir, VerificationResult v) {
    return "telemetry chain in " + dir + " is broken at seq " + v.brokenAtSeq().orElse(0L) + " ("
        + v.problem().map(Enum::name).orElse("?").toLowerCase(java.util.Locale.ROOT) + "): "
        + v.detail();
  }

  /**
   * Queues {@code hold} and completes once it is committed. Fails with {@link
   * StoreOverloadedException} at once when {@code maxOpenHolds} ledger items are waiting, and with
   * {@link StoreException} when the write fails: either way the caller must refuse the request.
   * The future completes on the writer thread: hop to your own executor (on Netty, {@code
   * ctx.executor().execute(...)}) before doing any work in a continuation.
   */
  public CompletableFuture<Void> persistHold(HoldRecord hold) {
    Objects.requireNonNull(hold, "hold");
    holdsAccepted.set(true);
    return writer.persistHold(hold);
  }

  /** Queues a settlement: deletes the hold, adds the actual cost to route and tenant. Never shed. */
  public void persistSettlement(SettlementRecord settlement) {
    writer.persistSettlement(Objects.requireNonNull(settlement, "settlement"));
  }

  /** Queues the release of a hold that will not be charged (the call never went out). */
  public void persistRelease(String holdId) {
    writer.persistRelease(RecordFields.name("holdId", holdId));
  }

  /** Queues a request row; false (and counted in {@link #shedCount()}) if the queue is full. */
  public boolean offerRequest(RequestRecord record) {
    return writer.offer(JournalEntry.of(Objects.requireNonNull(record, "record")));
  }

  /** Queues an event row; false (and counted in {@link #shedCount()}) if the queue is full. */
  public boolean offerEvent(EventRecord record) {
    return writer.offer(JournalEntry.of(Objects.requireNonNull(record, "record")));
  }

  /** Request and event rows dropped because the queue was full or the disk failed twice. */
  public long shedCount() {
    return writer.shedCount();
  }

  /** Items waiting for the writer (ledger and detail), for the queue-depth gauge. */
  public int queueDepth() {
    return writer.queueDepth();
  }

  /** Transactions that failed (disk full, read-only, I/O error) since open. */
  public long writeFailures() {
    return writer.writeFailures();
  }

  /** Waits until everything queued before this call is committed; false on timeout. */
  public boolean flush(Duration timeout) {
    return writer.flush(Objects.requireNonNull(timeout, "timeout"));
  }

  /**
   * Settles every hold left in the table at its worst case: each was open when the process died,
   * and the provider may have charged it (fail closed). Adds to spend, deletes the hold and writes
   * a {@code hold_recovered} event, all in one transaction. Call once after {@link #open}, before
   * any {@link #persistHold}: afterwards it would settle live holds, so it refuses.
   */
  public List<HoldRecord> recoverOpenHolds() throws StoreException {
    if (holdsAccepted.get()) {
      throw new IllegalStateException("recoverOpenHolds must run before the first persistHold");
    }
    return await(writer.submit(HoldRecovery::run));
  }

  /** Settled spend of {@code day} (UTC) per route and per tenant; missing keys spent nothing. */
  public Map<SpendKey, Long> spendForDay(LocalDate day) throws StoreException {
    Objects.requireNonNull(day, "day");
    return read(c -> Map.copyOf(LedgerTables.spendForDay(c, day)));
  }

  /**
   * Checks the spend ledger of {@code day} against that day's request rows: a route's or tenant's
   * settled spend is never below what its calls' rows were charged (nor negative), unless the
   * spend table was altered. The chain protects the rows but not the ledger; a page altered in the
   * file is found by {@link #open}'s page check (a read alone returns its altered bytes), so what
   * this finds is a spend written low (a crash between a row's commit and its settlement's). Call
   * after {@link #recoverOpenHolds()}.
   *
   * @return what disagrees (names and nano-USD figures), or empty
   */
  public Optional<String> spendBelowRows(LocalDate day) throws StoreException {
    Objects.requireNonNull(day, "day");
    // It reads the day's rows through journal_kind_day; today's part of that index was page-checked
    // by open (BootChecks), before anything could write.
    return read(c -> LedgerTables.spendBelowRows(c, day));
  }

  /**
   * After {@link #spendBelowRows} found one: raises each such spend of {@code day} to what its rows
   * were charged, so the caps go on from the higher figure and the
   * next boot agrees. Runs on the writer; blocks.
   *
   * @return the figures raised
   */
  public int raiseSpendToRows(LocalDate day) throws StoreException {
    Objects.requireNonNull(day, "day");
    return await(writer.submit((c, mac, chain) -> LedgerTables.raiseSpendToRows(c, day)));
  }

  /** Recomputes the whole chain from the latest anchor in one read snapshot. */
  public VerificationResult verifyChain() throws StoreException {
    return read(maintenance, c -> ChainVerifier.verify(c, maintenanceMac));
  }

  /**
   * Usage per group for the days {@code from}..{@code to} (UTC, inclusive), rolled-up days
   * included, ordered by group. {@code blocked} counts refusals by policy (see {@link
   * RequestRecord#blocked()}).
   */
  public List<UsageRow> usage(LocalDate from, LocalDate to, GroupBy groupBy) throws StoreException {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(groupBy, "groupBy");
    if (from.isAfter(to)) {
      throw new IllegalArgumentException("from: " + from + " (expected: on or before to " + to + ")");
    }
    return read(c -> List.copyOf(UsageQueries.usage(c, from, to, groupBy)));
  }

  /**
   * One request's row by its id ({@code x-parapet-request-id}), while it is kept (rows older than
   * the retention are rolled up into daily totals): an operator's or an auditor's look at one call.
   */
  public Optional<RequestRecord> request(String requestId) throws StoreException {
    Objects.requireNonNull(requestId, "requestId");
    return read(c -> UsageQueries.request(c, requestId));
  }

  /**
   * Events at or after {@code since}, optionally of one kind, newest first (by write order), at
   * most {@code limit} (1 to 1,000).
   */
  public List<EventRow> events(Optional<Instant> since, Optional<EventKind> kind, int limit)
      throws StoreException {
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(kind, "kind");
    if (limit < 1 || limit > UsageQueries.MAX_EVENTS) {
      throw new IllegalArgumentException(
          "limit: " + limit + " (expected: 1 to " + UsageQueries.MAX_EVENTS + ")");
    }
    return read(c -> List.copyOf(UsageQueries.events(c, since, kind, limit)));
  }

  /**
   * Rolls request rows dated before {@code today - keepDays} into daily aggregates and deletes
   * them and the events among them (see {@link Retention}). Runs on the writer thread; blocks.
   * The runtime calls it once a day ({@link #DEFAULT_RETENTION_DAYS} unless configured); it
   * verifies the chain first and refuses (StoreException) if the chain is broken.
   *
   * @return journal rows deleted
   */
  public int applyRetention(LocalDate today, int keepDays) throws StoreException {
    Objects.requireNonNull(today, "today");
    if (keepDays < 1) {
      throw new IllegalArgumentException("keepDays: " + keepDays + " (expected: >= 1)");
    }
    long now = JournalEntry.micros(Instant.now());
    // On its own connection: verifying a day of rows takes seconds, and usage and event queries
    // go on meanwhile on the reader.
    Optional<Retention.Plan> plan = read(maintenance, c -> {
      Runnable hook = duringRetentionPlanForTest;
      if (hook != null) {
        hook.run();
      }
      return Retention.plan(c, maintenanceMac, today, keepDays);
    });
    if (plan.isEmpty()) {
      return 0;
    }
    int deleted = 0;
    long last = plan.get().lastSeq();
    for (long end = plan.get().afterSeq(); end < last; ) {
      long through = Math.min(last, end + Retention.CHUNK_ROWS);
      deleted += await(writer.submit((c, mac, chain) -> Retention.deleteThrough(c, mac, through, now)));
      end = through;
    }
    return deleted;
  }

  /**
   * Drains the queues (up to 10 s), stops the writer, closes the database, zeroes the MAC key.
   * What could not be written by then is logged and counted in {@link #unwrittenAtClose}.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    unwrittenAtClose = writer.close(CLOSE_TIMEOUT);
    checkpointer.close();
    synchronized (maintenance) { // waits for a retention run's verification, as for a read below
      synchronized (reader) {
        closeQuietly(chainKey, writer.connection(), reader, maintenance);
      }
    }
    unlock(lock);
  }

  /**
   * Ledger items (holds, settlements, releases) and request or event rows the last {@link #close}
   * could not write: lost, where a settlement or release leaves its hold to be settled at its worst
   * case on the next boot. 0 while open and after a clean close. What the runtime's exit status
   * reports.
   */
  public long unwrittenAtClose() {
    return unwrittenAtClose;
  }

  private static void unlock(FileLock lock) {
    try {
      lock.channel().close();
    } catch (IOException e) {
      LOG.warn("telemetry store: releasing the lock failed: {}", e.getMessage());
    }
  }

  /** Package-private: the writer, for test hooks. */
  StoreWriter writer() {
    return writer;
  }

  Checkpointer checkpointer() {
    return checkpointer;
  }

  Path dataDir() {
    return dataDir;
  }

  @FunctionalInterface
  private interface Read<T> {
    T run(Connection c) throws SQLException;
  }

  /** Runs {@code read} in one read transaction, so multi-statement reads see one snapshot. */
  private <T> T read(Read<T> read) throws StoreException {
    return read(reader, read);
  }

  /** {@link #read(Read)} on {@code connection} (the reader, or the maintenance connection). */
  private <T> T read(Connection connection, Read<T> read) throws StoreException {
    synchronized (connection) {
      if (closed.get()) {
        throw new StoreException("telemetry store is closed");
      }
      try {
        connection.setAutoCommit(false);
        try {
          return read.run(connection);
        } finally {
          connection.rollback();
          connection.setAutoCommit(true);
        }
      } catch (SQLException e) {
        throw new StoreException("store read failed: " + e.getMessage(), e);
      }
    }
  }

  private static <T> T await(CompletableFuture<T> f) throws StoreException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while waiting for the store writer", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StoreException s) {
        throw s;
      }
      throw new StoreException("store write failed: " + e.getCause().getMessage(), e.getCause());
    }
  }

  private static void closeQuietly(ChainKey key, Connection... connections) {
    for (Connection c : connections) {
      if (c != null) {
        try {
          c.close();
        } catch (SQLException e) {
          LOG.warn("telemetry store: close failed: {}", e.getMessage());
        }
      }
    }
    key.close();
  }
}
