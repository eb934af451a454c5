package dev.parapet.core.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The guarantee: with N concurrent requests racing against a cap, the settled spend never
 * exceeds the cap, and no request the cap could cover is refused because of a leaked hold.
 * Correctness only; no timing assertions.
 */
class BudgetLedgerConcurrencyTest {
  static final Instant NOON = Instant.parse("2026-11-22T12:00:00Z");
  static final LocalDate DAY = LocalDate.parse("2026-11-22");
  static final int THREADS = 200;
  static final long W = 1_234_567;
  static final long CAP = 50 * W;

  final BudgetLedger ledger = new BudgetLedger(new RecordingJournal(), 10_000);
  final AtomicInteger inFlight = new AtomicInteger();
  final AtomicInteger maxInFlight = new AtomicInteger();
  final AtomicInteger granted = new AtomicInteger();
  final AtomicLong settled = new AtomicLong();

  interface Body {
    void run(int thread) throws Exception;
  }

  static void race(int threads, Body body) throws InterruptedException {
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> all = new ArrayList<>();
    List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    for (int i = 0; i < threads; i++) {
      int n = i;
      Thread t = new Thread(() -> {
        try {
          go.await();
          body.run(n);
        } catch (Throwable e) {
          errors.add(e);
        }
      });
      t.start();
      all.add(t);
    }
    go.countDown();
    for (Thread t : all) {
      t.join();
    }
    assertTrue(errors.isEmpty(), () -> "thread failed: " + errors);
  }

  private HoldResult hold(String route, String tenant, long routeCap, OptionalLong tenantCap) {
    HoldResult r = ledger.tryHold(route, routeCap, tenant, tenantCap, W, NOON);
    if (r instanceof HoldResult.Granted) {
      granted.incrementAndGet();
      int now = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(now, Math::max);
    }
    return r;
  }

  private void settle(Hold h, long actual) {
    inFlight.decrementAndGet();
    assertTrue(ledger.settle(h, actual));
    settled.addAndGet(actual);
  }

  @Test
  void settlingAtTheWorstCaseAdmitsExactlyFifty() throws Exception {
    race(THREADS, n -> {
      if (hold("r", "t", CAP, OptionalLong.empty()) instanceof HoldResult.Granted g) {
        Snapshot.Usage u = ledger.snapshot(DAY).routes().get("r");
        assertTrue(u.settledNanos() + u.heldNanos() <= CAP, "reserved past the cap: " + u);
        assertTrue(u.heldNanos() <= 50 * W);
        settle(g.hold(), W);
      }
    });
    assertEquals(50, granted.get());
    assertTrue(maxInFlight.get() <= 50);
    Snapshot.Usage r = ledger.snapshot(DAY).routes().get("r");
    assertEquals(new Snapshot.Usage(CAP, 0, OptionalLong.of(CAP), OptionalLong.of(0)), r);
  }

  @Test
  void settlingBelowTheWorstCaseNeverExceedsTheCapAndLeaksNothing() throws Exception {
    race(THREADS, n -> {
      if (hold("r", "t", CAP, OptionalLong.empty()) instanceof HoldResult.Granted g) {
        Thread.yield();
        settle(g.hold(), (W / 3) + (n % 7) * 1000);
      }
    });
    assertTrue(maxInFlight.get() <= 50);
    assertTrue(granted.get() >= 50, "the cap covers at least 50 worst cases");
    Snapshot.Usage r = ledger.snapshot(DAY).routes().get("r");
    assertEquals(settled.get(), r.settledNanos());
    assertTrue(r.settledNanos() <= CAP);
    assertEquals(0, r.heldNanos());
    assertEquals(CAP - settled.get(), r.remainingNanos().getAsLong());
    assertEquals(0, ledger.openHolds());
    // Whatever headroom is left is usable: no leaked hold blocks a call the cap can cover.
    long left = CAP - settled.get();
    HoldResult last = ledger.tryHold("r", CAP, "t", OptionalLong.empty(), left, NOON);
    assertTrue(last instanceof HoldResult.Granted);
  }

  @Test
  void releasedHeadroomIsReusable() throws Exception {
    race(THREADS, n -> {
      while (true) {
        if (hold("r", "t", CAP, OptionalLong.empty()) instanceof HoldResult.Granted g) {
          inFlight.decrementAndGet();
          assertTrue(ledger.release(g.hold()));
          return;
        }
        Thread.yield();
      }
    });
    assertEquals(THREADS, granted.get());
    assertTrue(maxInFlight.get() <= 50);
    Snapshot.Usage r = ledger.snapshot(DAY).routes().get("r");
    assertEquals(new Snapshot.Usage(0, 0, OptionalLong.of(CAP), OptionalLong.of(CAP)), r);
  }

  @Test
  void aSharedTenantCapHoldsAcrossRoutes() throws Exception {
    // Four routes with room for 50 each share a tenant with room for 50 in total.
    race(THREADS, n -> {
      if (hold("r" + (n % 4), "t", CAP, OptionalLong.of(CAP)) instanceof HoldResult.Granted g) {
        Thread.yield();
        settle(g.hold(), W);
      }
    });
    assertEquals(50, granted.get());
    Snapshot s = ledger.snapshot(DAY);
    assertEquals(CAP, s.tenants().get("t").settledNanos());
    long routeSum = s.routes().values().stream().mapToLong(Snapshot.Usage::settledNanos).sum();
    assertEquals(CAP, routeSum);
  }

  /** Seeded random walk against a trivially correct model, single-threaded for reproducibility. */
  @Test
  void randomOperationsMatchASimpleModel() {
    for (long seed = 1; seed <= 20; seed++) {
      SplittableRandom rnd = new SplittableRandom(seed);
      BudgetLedger l = new BudgetLedger(LedgerJournal.NONE, 1_000);
      String[] routes = {"a", "b", "c"};
      long routeCap = 1_000;
      long tenantCap = 2_000;
      long[] settledBy = new long[3];
      long[] heldBy = new long[3];
      List<Hold> open = new ArrayList<>();
      List<Hold> closed = new ArrayList<>();
      for (int step = 0; step < 2_000; step++) {
        int op = rnd.nextInt(10);
        if (op < 5) {
          int i = rnd.nextInt(3);
          long w = rnd.nextLong(300);
          long tenantUsed = sum(settledBy) + sum(heldBy);
          boolean routeFits = settledBy[i] + heldBy[i] + w <= routeCap;
          boolean tenantFits = tenantUsed + w <= tenantCap;
          HoldResult r = l.tryHold(routes[i], routeCap, "t", OptionalLong.of(tenantCap), w, NOON);
          String ctx = "seed " + seed + " step " + step;
          if (routeFits && tenantFits) {
            Hold h = ((HoldResult.Granted) r).hold();
            open.add(h);
            heldBy[i] += w;
          } else if (!routeFits) {
            assertEquals(new HoldResult.Refused(Scope.ROUTE, routeCap, settledBy[i] + heldBy[i]), r, ctx);
          } else {
            assertEquals(new HoldResult.Refused(Scope.TENANT, tenantCap, tenantUsed), r, ctx);
          }
        } else if (op < 9 && !open.isEmpty()) {
          Hold h = open.remove(rnd.nextInt(open.size()));
          int i = h.route().charAt(0) - 'a';
          heldBy[i] -= h.worstCaseNanos();
          if (rnd.nextBoolean()) {
            long actual = rnd.nextLong(h.worstCaseNanos() + 1);
            assertTrue(l.settle(h, actual));
            settledBy[i] += actual;
          } else {
            assertTrue(l.release(h));
          }
          closed.add(h);
        } else if (!closed.isEmpty()) {
          Hold h = closed.get(rnd.nextInt(closed.size()));
          assertTrue(!l.settle(h, 1) && !l.release(h), "closed hold reopened");
        }
        Snapshot s = l.snapshot(LocalDate.parse("2026-11-22"));
        for (int i = 0; i < 3; i++) {
          Snapshot.Usage u = s.routes().get(routes[i]);
          if (u != null) {
            assertEquals(settledBy[i], u.settledNanos());
            assertEquals(heldBy[i], u.heldNanos());
            assertTrue(u.settledNanos() <= routeCap);
          }
        }
        assertTrue(sum(settledBy) <= tenantCap);
        assertEquals(open.size(), l.openHolds());
      }
    }
  }

  private static long sum(long[] xs) {
    long s = 0;
    for (long x : xs) {
      s += x;
    }
    return s;
  }
}
