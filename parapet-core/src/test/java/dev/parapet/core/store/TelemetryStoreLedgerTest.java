package dev.parapet.core.store;

import static dev.parapet.core.store.StoreFixtures.DAY;
import static dev.parapet.core.store.StoreFixtures.hold;
import static dev.parapet.core.store.StoreFixtures.open;
import static dev.parapet.core.store.StoreFixtures.settle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TelemetryStoreLedgerTest {
  @TempDir Path dir;

  @Test
  void spendSurvivesReopen() throws Exception {
    try (TelemetryStore store = open(dir)) {
      store.persistHold(hold("h1", 1_000)).get(5, TimeUnit.SECONDS);
      store.persistHold(hold("h2", 1_000)).get(5, TimeUnit.SECONDS);
      store.persistSettlement(settle("h1", 300));
      store.persistRelease("h2");
    }
    try (TelemetryStore store = open(dir)) {
      assertEquals(List.of(), store.recoverOpenHolds());
      assertEquals(
          Map.of(SpendKey.route("summarizer"), 300L, SpendKey.tenant("prod"), 300L),
          store.spendForDay(DAY));
      assertEquals(Map.of(), store.spendForDay(DAY.plusDays(1)));
    }
  }

  @Test
  void createsOwnerOnlyFiles() throws Exception {
    Path data = dir.resolve("data");
    try (TelemetryStore store = open(data)) {
      store.persistHold(hold("h", 1)).get(5, TimeUnit.SECONDS);
      // SQLite gives the WAL and shared-memory files the database file's mode.
      for (String f : List.of("parapet.db-wal", "parapet.db-shm", "parapet.lock")) {
        assertEquals(
            "rw-------",
            PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve(f))), f);
      }
    }
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("parapet.db"))));
  }

  /**
   * Nobody waits on a settlement: it waits up to the batch window for company, and the next hold
   * (whose caller does wait) takes it along, so a call costs one commit instead of two. Alone, it
   * commits when the window ends.
   */
  @Test
  void aSettlementRidesOnTheNextHoldsCommit() throws Exception {
    StoreOptions d = StoreOptions.defaults();
    StoreOptions slow = new StoreOptions(d.maxOpenHolds(), d.detailQueueCapacity(), d.batchSize(),
        Duration.ofSeconds(1), d.busyTimeout(), false);
    try (TelemetryStore store = open(dir, slow)) {
      store.persistHold(hold("h1", 1_000)).get(5, TimeUnit.SECONDS);
      long before = store.writer().commitCount();
      store.persistSettlement(settle("h1", 300));
      assertTrue(store.offerRequest(StoreFixtures.request("r-h1", 300)));
      Thread.sleep(100);
      assertEquals(before, store.writer().commitCount(), "the settlement and its row wait for company");
      store.persistHold(hold("h2", 1_000)).get(5, TimeUnit.SECONDS);
      assertEquals(before + 1, store.writer().commitCount(), "the hold committed at once, with them");
      assertEquals(300L, store.spendForDay(DAY).get(SpendKey.tenant("prod")));

      long alone = System.nanoTime();
      store.persistSettlement(settle("h2", 200));
      while (store.writer().commitCount() == before + 1 && System.nanoTime() - alone < TimeUnit.SECONDS.toNanos(10)) {
        Thread.sleep(5);
      }
      long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - alone);
      assertEquals(before + 2, store.writer().commitCount(), "alone, it commits when the window ends");
      assertTrue(waited >= 900, "committed after " + waited + " ms");
      assertEquals(500L, store.spendForDay(DAY).get(SpendKey.tenant("prod")));
    }
  }

  @Test
  void holdsOpenAtCrashAreSettledAtWorstCase() throws Exception {
    try (TelemetryStore store = open(dir)) {
      store.persistHold(hold("open-1", 7_000)).get(5, TimeUnit.SECONDS);
      store.persistHold(hold("settled", 9_000)).get(5, TimeUnit.SECONDS);
      store.persistSettlement(settle("settled", 100));
      // no settlement for open-1: the process "dies" with it open
    }
    try (TelemetryStore store = open(dir)) {
      List<HoldRecord> recovered = store.recoverOpenHolds();
      assertEquals(List.of("open-1"), recovered.stream().map(HoldRecord::holdId).toList());
      assertEquals(7_100L, store.spendForDay(DAY).get(SpendKey.tenant("prod")));
      var events = store.events(java.util.Optional.empty(), java.util.Optional.of(EventKind.HOLD_RECOVERED), 10);
      assertEquals(1, events.size());
      assertEquals("0.000007000", events.get(0).details().get("worst_case_usd"));
      assertTrue(store.verifyChain().ok());
    }
    try (TelemetryStore store = open(dir)) {
      assertEquals(List.of(), store.recoverOpenHolds(), "recovery is not repeated");
      assertEquals(7_100L, store.spendForDay(DAY).get(SpendKey.route("summarizer")));
    }
  }

  @Test
  void recoveryRefusedOnceHoldsAreLive() throws Exception {
    try (TelemetryStore store = open(dir)) {
      store.persistHold(hold("live", 1)).get(5, TimeUnit.SECONDS);
      assertThrows(IllegalStateException.class, store::recoverOpenHolds);
    }
  }

  @Test
  void holdOnFullLedgerQueueFailsOverloaded() throws Exception {
    try (TelemetryStore store = open(dir, StoreOptions.defaults().withMaxOpenHolds(2))) {
      store.writer().pauseForTest();
      CompletableFuture<Void> a = store.persistHold(hold("a", 1));
      CompletableFuture<Void> b = store.persistHold(hold("b", 1));
      CompletableFuture<Void> c = store.persistHold(hold("c", 1));
      ExecutionException e = assertThrows(ExecutionException.class, () -> c.get(1, TimeUnit.SECONDS));
      assertInstanceOf(StoreOverloadedException.class, e.getCause());
      assertFalse(a.isDone(), "a hold completes only once committed");
      store.writer().resumeForTest();
      a.get(5, TimeUnit.SECONDS);
      b.get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void diskErrorFailsHoldsButRetriesSettlements() throws Exception {
    try (TelemetryStore store = open(dir)) {
      store.persistHold(hold("h", 500)).get(5, TimeUnit.SECONDS);
      // Queue both while the writer is paused, so the hold cannot slip into a batch that
      // commits after the injected failures are used up (it did on a loaded machine).
      store.writer().pauseForTest();
      store.persistSettlement(settle("h", 200));
      CompletableFuture<Void> refused = store.persistHold(hold("refused", 1));
      store.writer().failNextCommitsForTest(2);
      store.writer().resumeForTest();
      ExecutionException e =
          assertThrows(ExecutionException.class, () -> refused.get(10, TimeUnit.SECONDS));
      assertInstanceOf(StoreException.class, e.getCause());
      assertTrue(store.flush(Duration.ofSeconds(10)));
      assertTrue(store.writeFailures() >= 1);
      assertEquals(200L, store.spendForDay(DAY).get(SpendKey.route("summarizer")));
    }
    try (TelemetryStore store = open(dir)) {
      assertEquals(List.of(), store.recoverOpenHolds(), "the refused hold left no row behind");
    }
  }

  @Test
  void aStatementThatFailsDoesNotPoisonTheWritersNextBatches() throws Exception {
    // The writer compiles its statements once (StatementCache); a statement SQLite rejects must
    // not leave a broken one behind for the batches after it.
    try (TelemetryStore store = open(dir)) {
      store.persistHold(hold("dup", 100)).get(5, TimeUnit.SECONDS);
      ExecutionException e =
          assertThrows(
              ExecutionException.class,
              () -> store.persistHold(hold("dup", 100)).get(10, TimeUnit.SECONDS));
      assertInstanceOf(StoreException.class, e.getCause());
      for (int i = 0; i < 3; i++) {
        store.persistHold(hold("after-" + i, 10)).get(10, TimeUnit.SECONDS);
        store.offerRequest(StoreFixtures.request("r" + i, 1));
        store.persistSettlement(settle("after-" + i, 7));
      }
      store.persistSettlement(settle("dup", 40));
      StoreFixtures.flush(store);
      assertEquals(61L, store.spendForDay(DAY).get(SpendKey.route("summarizer")));
      assertEquals(3, store.verifyChain().rowsChecked());
    }
    try (TelemetryStore store = open(dir)) {
      assertEquals(List.of(), store.recoverOpenHolds(), "every hold was settled");
    }
  }

  @Test
  void theWalIsCopiedBackByItsOwnThreadNotByTheWritersCommits() throws Exception {
    try (TelemetryStore store = open(dir)) {
      store.persistHold(hold("first", 1)).get(5, TimeUnit.SECONDS);
      store.writer().pauseForTest(); // the writer's connection is the writer thread's: borrow it idle
      try (java.sql.Statement st = store.writer().connection().createStatement();
          java.sql.ResultSet rs = st.executeQuery("PRAGMA wal_autocheckpoint")) {
        assertTrue(rs.next());
        assertEquals(Checkpointer.WRITER_BACKSTOP_PAGES, rs.getInt(1), "the writer's own checkpoints are a backstop");
      } finally {
        store.writer().resumeForTest();
      }
      for (int i = 0; i < 600; i++) { // ~2,000 WAL pages: past SQLite's default of 1,000
        store.persistHold(hold("h" + i, 10)).get(10, TimeUnit.SECONDS);
        store.offerRequest(StoreFixtures.request("r" + i, 1));
        store.persistSettlement(settle("h" + i, 1));
      }
      StoreFixtures.flush(store);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      long runsBefore = store.checkpointer().runs();
      while ((store.checkpointer().runs() < runsBefore + 2 || !store.checkpointer().caughtUp())
          && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(store.checkpointer().caughtUp(), "the checkpoint thread copied every frame back");
      assertTrue(Thread.getAllStackTraces().keySet().stream()
          .anyMatch(t -> t.getName().equals(Checkpointer.THREAD_NAME) && t.isDaemon()));
      assertEquals(600L, store.spendForDay(DAY).get(SpendKey.tenant("prod")));
    }
    assertTrue(Thread.getAllStackTraces().keySet().stream()
        .noneMatch(t -> t.getName().equals(Checkpointer.THREAD_NAME) && t.isAlive()), "stopped with the store");
    try (TelemetryStore store = open(dir)) {
      assertEquals(600L, store.spendForDay(DAY).get(SpendKey.tenant("prod")), "everything reopens");
      assertTrue(store.verifyChain().ok());
    }
  }

  @Test
  void writerReusesItsCompiledStatements() throws Exception {
    try (TelemetryStore store = open(dir)) {
      for (int i = 0; i < 50; i++) {
        store.persistHold(hold("h" + i, 10)).get(10, TimeUnit.SECONDS);
        store.offerRequest(StoreFixtures.request("r" + i, 1));
        store.persistSettlement(settle("h" + i, 1));
      }
      StoreFixtures.flush(store);
      assertEquals(
          5, store.writer().preparedStatements(),
          "hold insert, hold delete, spend upsert, journal insert, head upsert");
      assertEquals(50L, store.spendForDay(DAY).get(SpendKey.tenant("prod")));
    }
  }

  @Test
  void repeatedDiskErrorsShedDetailButNeverSettlements() throws Exception {
    try (TelemetryStore store = open(dir)) {
      store.writer().pauseForTest();
      store.offerRequest(StoreFixtures.request("r1", 1));
      store.persistSettlement(settle("no-hold-row", 5));
      store.writer().failNextCommitsForTest(3);
      store.writer().resumeForTest();
      assertTrue(store.flush(Duration.ofSeconds(10)));
      assertEquals(3, store.writeFailures());
      assertEquals(1, store.shedCount(), "the request row is shed after its second failure");
      assertEquals(5L, store.spendForDay(DAY).get(SpendKey.tenant("prod")), "the settlement is retried");
      assertTrue(store.verifyChain().ok(), "a failed batch does not advance the chain");
      store.offerRequest(StoreFixtures.request("r2", 1));
      StoreFixtures.flush(store);
      assertEquals(1, store.verifyChain().rowsChecked());
    }
  }

  @Test
  void concurrentCallersAllLand() throws Exception {
    int threads = 8;
    int perThread = 300;
    try (TelemetryStore store = open(dir)) {
      List<Thread> ts = new java.util.ArrayList<>();
      java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        Thread th = new Thread(() -> {
          try {
            for (int i = 0; i < perThread; i++) {
              String h = "t" + id + "-" + i;
              store.persistHold(hold(h, 100)).get(10, TimeUnit.SECONDS);
              assertTrue(store.offerRequest(StoreFixtures.request("r-" + h, 3)));
              store.persistSettlement(settle(h, 3));
            }
          } catch (Throwable e) {
            failure.compareAndSet(null, e);
          }
        });
        th.start();
        ts.add(th);
      }
      for (Thread th : ts) {
        th.join();
      }
      if (failure.get() != null) {
        throw new AssertionError(failure.get());
      }
      StoreFixtures.flush(store);
      long n = (long) threads * perThread;
      assertEquals(3 * n, store.spendForDay(DAY).get(SpendKey.tenant("prod")));
      assertEquals(n, store.verifyChain().rowsChecked());
      var usage = store.usage(DAY, DAY, GroupBy.ROUTE).get(0);
      assertEquals(n, usage.requests());
      assertEquals(3 * n, usage.costNanoUsd());
      assertTrue(store.writer().commitCount() < 2 * n, "commits are shared between callers");
    }
    try (TelemetryStore store = open(dir)) {
      assertEquals(List.of(), store.recoverOpenHolds());
    }
  }

  @Test
  void writerThreadIsNamedDaemon() throws Exception {
    try (TelemetryStore store = open(dir)) {
      store.persistHold(hold("x", 1)).get(5, TimeUnit.SECONDS);
      Thread t =
          Thread.getAllStackTraces().keySet().stream()
              .filter(th -> th.getName().equals("parapet-store-writer"))
              .findFirst()
              .orElseThrow();
      assertTrue(t.isDaemon());
    }
  }
}
