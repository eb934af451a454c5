package dev.parapet.core.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BudgetLedgerTest {
  static final Instant NOON = Instant.parse("2026-11-22T12:00:00Z");
  static final LocalDate DAY = LocalDate.parse("2026-11-22");

  final RecordingJournal journal = new RecordingJournal();
  final BudgetLedger ledger = new BudgetLedger(journal, 1_000);

  static Hold granted(HoldResult r) {
    return assertInstanceOf(HoldResult.Granted.class, r).hold();
  }

  @Test
  void grantsWithinBothCapsAndJournalsTheHold() {
    Hold h = granted(ledger.tryHold("r", 100, "t", OptionalLong.of(100), 60, NOON));
    assertEquals(DAY, h.day());
    assertTrue(h.persisted().isDone() && !h.persisted().isCompletedExceptionally());
    assertEquals(1, journal.openHolds.size());
    Snapshot.Usage r = ledger.snapshot(DAY).routes().get("r");
    assertEquals(new Snapshot.Usage(0, 60, OptionalLong.of(100), OptionalLong.of(40)), r);
  }

  @Test
  void refusesNamingTheScopeThatCannotCover() {
    granted(ledger.tryHold("a", 100, "t", OptionalLong.of(150), 80, NOON));
    assertEquals(new HoldResult.Refused(Scope.ROUTE, 100, 80),
        ledger.tryHold("a", 100, "t", OptionalLong.of(150), 21, NOON));
    assertEquals(new HoldResult.Refused(Scope.TENANT, 150, 80),
        ledger.tryHold("b", 100, "t", OptionalLong.of(150), 71, NOON));
    // Exactly at the cap is allowed.
    granted(ledger.tryHold("b", 100, "t", OptionalLong.of(150), 70, NOON));
    // A refused call reserves nothing in the other scope.
    assertEquals(70, ledger.snapshot(DAY).routes().get("b").heldNanos());
  }

  @Test
  void uncappedTenantIsTrackedButNeverRefuses() {
    granted(ledger.tryHold("a", 100, "t", OptionalLong.empty(), 100, NOON));
    granted(ledger.tryHold("b", 100, "t", OptionalLong.empty(), 100, NOON));
    Snapshot.Usage t = ledger.snapshot(DAY).tenants().get("t");
    assertEquals(new Snapshot.Usage(0, 200, OptionalLong.empty(), OptionalLong.empty()), t);
  }

  @Test
  void settleRecordsActualEvenAboveWorstCase() {
    Hold h = granted(ledger.tryHold("r", 100, "t", OptionalLong.empty(), 50, NOON));
    assertTrue(ledger.settle(h, 120));
    Snapshot.Usage r = ledger.snapshot(DAY).routes().get("r");
    assertEquals(new Snapshot.Usage(120, 0, OptionalLong.of(100), OptionalLong.of(0)), r);
    // Over the cap now: even a free call is refused until tomorrow.
    assertInstanceOf(HoldResult.Refused.class, ledger.tryHold("r", 100, "t", OptionalLong.empty(), 0, NOON));
    granted(ledger.tryHold("r", 100, "t", OptionalLong.empty(), 100, NOON.plusSeconds(86_400)));
  }

  @Test
  void settleAndReleaseHappenExactlyOnce() {
    Hold h = granted(ledger.tryHold("r", 100, "t", OptionalLong.empty(), 50, NOON));
    assertTrue(ledger.settle(h, 10));
    assertFalse(ledger.settle(h, 10));
    assertFalse(ledger.release(h));
    Hold g = granted(ledger.tryHold("r", 100, "t", OptionalLong.empty(), 50, NOON));
    assertTrue(ledger.release(g));
    assertFalse(ledger.settle(g, 50));
    assertEquals(10, ledger.snapshot(DAY).routes().get("r").settledNanos());
    assertEquals(0, ledger.openHolds());
    assertTrue(journal.openHolds.isEmpty());
    assertEquals(4, journal.events.size());
  }

  @Test
  void racingSettleAndReleaseCloseAHoldOnce() throws Exception {
    for (int i = 0; i < 200; i++) {
      Hold h = granted(ledger.tryHold("r", Long.MAX_VALUE, "t", OptionalLong.empty(), 7, NOON));
      AtomicInteger wins = new AtomicInteger();
      CountDownLatch go = new CountDownLatch(1);
      Thread a = new Thread(() -> { await(go); if (ledger.settle(h, 7)) wins.incrementAndGet(); });
      Thread b = new Thread(() -> { await(go); if (ledger.release(h)) wins.incrementAndGet(); });
      a.start();
      b.start();
      go.countDown();
      a.join();
      b.join();
      assertEquals(1, wins.get());
    }
    Snapshot.Usage r = ledger.snapshot(DAY).routes().get("r");
    assertEquals(0, r.heldNanos());
    assertEquals(0, r.settledNanos() % 7);
  }

  @Test
  void holdSettlesIntoTheDayItWasTaken() {
    Instant lastSecond = Instant.parse("2026-11-22T23:59:59Z");
    Hold h = granted(ledger.tryHold("r", 100, "t", OptionalLong.of(100), 100, lastSecond));
    // After midnight the new day has its full budget even though yesterday's hold is still open.
    Instant after = Instant.parse("2026-11-23T00:00:01Z");
    Hold today = granted(ledger.tryHold("r", 100, "t", OptionalLong.of(100), 100, after));
    assertTrue(ledger.settle(h, 90));
    assertEquals(90, ledger.snapshot(DAY).routes().get("r").settledNanos());
    assertEquals(0, ledger.snapshot(DAY.plusDays(1)).routes().get("r").settledNanos());
    assertEquals(100, ledger.snapshot(DAY.plusDays(1)).routes().get("r").heldNanos());
    assertTrue(ledger.release(today));
  }

  @Test
  void oldDaysAreForgottenOnlyWhenNoHoldPointsAtThem() {
    Hold old = granted(ledger.tryHold("r", 100, "t", OptionalLong.empty(), 10, NOON));
    granted(ledger.tryHold("r", 100, "t", OptionalLong.empty(), 10, NOON.plusSeconds(3 * 86_400)));
    assertTrue(ledger.settle(old, 10)); // its day is still there
    assertEquals(10, ledger.snapshot(DAY).routes().get("r").settledNanos());
    ledger.tryHold("r", 100, "t", OptionalLong.empty(), 10, NOON.plusSeconds(5 * 86_400));
    assertEquals(0, ledger.snapshot(DAY).routes().get("r").settledNanos());
  }

  @Test
  void loadSeedsTodayFromTheStore() {
    ledger.load(DAY, Map.of("r", 90L), Map.of("t", 140L));
    assertEquals(new HoldResult.Refused(Scope.ROUTE, 100, 90),
        ledger.tryHold("r", 100, "t", OptionalLong.of(150), 11, NOON));
    assertEquals(new HoldResult.Refused(Scope.TENANT, 150, 140),
        ledger.tryHold("other", 100, "t", OptionalLong.of(150), 11, NOON));
    granted(ledger.tryHold("r", 100, "t", OptionalLong.of(150), 10, NOON));
  }

  @Test
  void boundsOpenHolds() {
    BudgetLedger small = new BudgetLedger(journal, 2);
    Hold a = granted(small.tryHold("r", 100, "t", OptionalLong.empty(), 1, NOON));
    granted(small.tryHold("r", 100, "t", OptionalLong.empty(), 1, NOON));
    assertEquals(new HoldResult.Refused(Scope.OVERLOADED, 2, 2),
        small.tryHold("r", 100, "t", OptionalLong.empty(), 1, NOON));
    small.release(a);
    granted(small.tryHold("r", 100, "t", OptionalLong.empty(), 1, NOON));
  }

  @Test
  void aFailedJournalWriteFailsTheHoldsFutureAndReleaseFreesIt() {
    journal.failHolds = true;
    Hold h = granted(ledger.tryHold("r", 100, "t", OptionalLong.empty(), 100, NOON));
    assertTrue(h.persisted().isCompletedExceptionally());
    try {
      h.persisted().join();
    } catch (CompletionException expected) {
      assertEquals("disk full", expected.getCause().getMessage());
    }
    assertTrue(ledger.release(h));
    journal.failHolds = false;
    granted(ledger.tryHold("r", 100, "t", OptionalLong.empty(), 100, NOON));
  }

  @Test
  void aThrowingJournalDoesNotBreakTheLedger() {
    LedgerJournal throwing = new LedgerJournal() {
      @Override public java.util.concurrent.CompletableFuture<Void> persistHold(Hold hold) {
        throw new IllegalStateException("boom");
      }
      @Override public java.util.concurrent.CompletableFuture<Void> persistSettlement(Hold hold, long a) {
        throw new IllegalStateException("boom");
      }
      @Override public java.util.concurrent.CompletableFuture<Void> persistRelease(Hold hold) {
        throw new IllegalStateException("boom");
      }
    };
    BudgetLedger l = new BudgetLedger(throwing, 10);
    Hold h = granted(l.tryHold("r", 100, "t", OptionalLong.empty(), 100, NOON));
    assertTrue(h.persisted().isCompletedExceptionally());
    assertTrue(l.settle(h, 5));
    assertEquals(5, l.snapshot(DAY).routes().get("r").settledNanos());
  }

  @Test
  void snapshotShowsDeclaredCapsBeforeAnyCall() {
    ledger.declareCaps(Map.of("r", 500L), Map.of("t", 900L));
    Snapshot s = ledger.snapshot(DAY);
    assertEquals(OptionalLong.of(500), s.routes().get("r").remainingNanos());
    assertEquals(OptionalLong.of(900), s.tenants().get("t").remainingNanos());
  }

  static void await(CountDownLatch l) {
    try {
      l.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
