package dev.parapet.core.budget;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Daily spend per route and per tenant, with holds: the in-memory truth that decides 402s.
 *
 * <p>Before a call is forwarded, {@link #tryHold} reserves its worst-case cost against the route's
 * cap <em>and</em> the tenant's cap in one step; after the answer, {@link #settle} replaces the
 * reservation with what the provider reported, or {@link #release} drops it when nothing was
 * charged. Because every reservation is counted against the cap until it is settled, concurrent
 * calls cannot together reserve more than the cap, so settled spend stays within the cap as long
 * as providers charge no more than the worst case.
 *
 * <p><b>The cap guards reservations, not reports.</b> If a provider reports more usage than the
 * worst case (it ignored {@code max_tokens}, or our estimate was low), {@link #settle} records
 * the reported amount anyway: spend is the truth, and the overshoot then refuses later calls.
 *
 * <p><b>Days.</b> Money is kept per UTC calendar day. A hold counts against the day it was taken,
 * and its settlement goes to that same day even if it happens after midnight. Days older than
 * yesterday with no open hold are dropped from memory (history is the store's job).
 *
 * <p><b>Concurrency.</b> One {@link ReentrantLock} guards a few map look-ups and additions per
 * call; there is no I/O and no callback inside it. Route and tenant must be checked and charged
 * together, which one lock gives for free. The journal is called after the lock is released.
 *
 * <p><b>Exactly once.</b> A hold leaves the open set under the lock; the first {@link #settle} or
 * {@link #release} to remove it wins and later ones return {@code false} and change nothing, so
 * two cleanup paths racing (client gone vs upstream done) cannot double-count or leak.
 */
public final class BudgetLedger {
  private final LedgerJournal journal;
  private final int maxOpenHolds;
  // Unique per process, so hold ids from before a restart never collide with new ones.
  private final String idPrefix = "h-" + UUID.randomUUID() + "-";

  private final ReentrantLock lock = new ReentrantLock();
  // All below guarded by lock.
  private final TreeMap<LocalDate, Day> days = new TreeMap<>();
  private final Map<String, Hold> open = new HashMap<>();
  private final Map<String, Long> routeCaps = new HashMap<>();
  private final Map<String, Long> tenantCaps = new HashMap<>();
  private long nextId;

  /**
   * @param maxOpenHolds how many holds may be open at once; beyond it calls are refused with
   *     {@link Scope#OVERLOADED}
   */
  public BudgetLedger(LedgerJournal journal, int maxOpenHolds) {
    this.journal = Objects.requireNonNull(journal, "journal");
    if (maxOpenHolds < 1) {
      throw new IllegalArgumentException("maxOpenHolds: " + maxOpenHolds + " (expected: >= 1)");
    }
    this.maxOpenHolds = maxOpenHolds;
  }

  /**
   * Reserve {@code worstCaseNanos} on {@code route} and {@code tenant} for the UTC day of
   * {@code now}. Granted only if, for the route and (when capped) for the tenant,
   * {@code settled + held + worstCase <= cap}. The route is checked first, so a call both scopes
   * would refuse is reported as {@link Scope#ROUTE}. On grant the journal is asked to persist the
   * hold; its future is {@link Hold#persisted()}.
   */
  public HoldResult tryHold(
      String route, long routeCapNanos, String tenant, OptionalLong tenantCapNanos,
      long worstCaseNanos, Instant now) {
    Objects.requireNonNull(route, "route");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(tenantCapNanos, "tenantCapNanos");
    Objects.requireNonNull(now, "now");
    requireNonNegative("routeCapNanos", routeCapNanos);
    tenantCapNanos.ifPresent(c -> requireNonNegative("tenantCapNanos", c));
    requireNonNegative("worstCaseNanos", worstCaseNanos);
    LocalDate day = LocalDate.ofInstant(now, ZoneOffset.UTC);
    Hold hold;
    lock.lock();
    try {
      routeCaps.put(route, routeCapNanos);
      tenantCapNanos.ifPresentOrElse(c -> tenantCaps.put(tenant, c), () -> tenantCaps.remove(tenant));
      if (open.size() >= maxOpenHolds) {
        return new HoldResult.Refused(Scope.OVERLOADED, maxOpenHolds, open.size());
      }
      Day d = dayLocked(day);
      Account r = d.routes.computeIfAbsent(route, k -> new Account());
      Account t = d.tenants.computeIfAbsent(tenant, k -> new Account());
      if (!r.fits(worstCaseNanos, routeCapNanos)) {
        return new HoldResult.Refused(Scope.ROUTE, routeCapNanos, r.used());
      }
      if (tenantCapNanos.isPresent() && !t.fits(worstCaseNanos, tenantCapNanos.getAsLong())) {
        return new HoldResult.Refused(Scope.TENANT, tenantCapNanos.getAsLong(), t.used());
      }
      r.held += worstCaseNanos;
      t.held += worstCaseNanos;
      d.openHolds++;
      hold = new Hold(idPrefix + nextId++, day, route, tenant, worstCaseNanos, now, new CompletableFuture<>());
      open.put(hold.id(), hold);
    } finally {
      lock.unlock();
    }
    call(() -> journal.persistHold(hold)).whenComplete((v, e) -> {
      if (e != null) {
        hold.persisted().completeExceptionally(e);
      } else {
        hold.persisted().complete(null);
      }
    });
    return new HoldResult.Granted(hold);
  }

  /**
   * Replace {@code hold} with the real cost on the hold's day. Returns {@code false} (and changes
   * nothing) if the hold was already settled or released. {@code actualNanos} may exceed the worst
   * case; it is recorded as reported.
   */
  public boolean settle(Hold hold, long actualNanos) {
    requireNonNegative("actualNanos", actualNanos);
    if (!close(hold, actualNanos)) {
      return false;
    }
    call(() -> journal.persistSettlement(hold, actualNanos));
    return true;
  }

  /** Drop {@code hold} without a charge. Returns {@code false} if it was already closed. */
  public boolean release(Hold hold) {
    if (!close(hold, 0)) {
      return false;
    }
    call(() -> journal.persistRelease(hold));
    return true;
  }

  private boolean close(Hold hold, long chargeNanos) {
    Objects.requireNonNull(hold, "hold");
    lock.lock();
    try {
      if (open.remove(hold.id()) == null) {
        return false;
      }
      Day d = days.get(hold.day()); // present: a day with open holds is never pruned
      Account r = d.routes.get(hold.route());
      Account t = d.tenants.get(hold.tenant());
      r.held -= hold.worstCaseNanos();
      t.held -= hold.worstCaseNanos();
      r.settled = Cost.saturatedAdd(r.settled, chargeNanos);
      t.settled = Cost.saturatedAdd(t.settled, chargeNanos);
      d.openHolds--;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Seed {@code day}'s settled spend from the store at boot (replacing what the ledger had
   * settled for those names; open holds are kept). Holds that were open when the process died
   * should already be in these totals at their worst case.
   */
  public void load(LocalDate day, Map<String, Long> routeSpend, Map<String, Long> tenantSpend) {
    Objects.requireNonNull(day, "day");
    routeSpend.values().forEach(v -> requireNonNegative("routeSpend", v));
    tenantSpend.values().forEach(v -> requireNonNegative("tenantSpend", v));
    lock.lock();
    try {
      Day d = days.computeIfAbsent(day, k -> new Day());
      routeSpend.forEach((k, v) -> d.routes.computeIfAbsent(k, x -> new Account()).settled = v);
      tenantSpend.forEach((k, v) -> d.tenants.computeIfAbsent(k, x -> new Account()).settled = v);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Declare the configured caps so that {@link #snapshot} can show cap and remaining for scopes
   * that have not been called yet. {@link #tryHold} also updates them from its arguments.
   */
  public void declareCaps(Map<String, Long> routeCapsNanos, Map<String, Long> tenantCapsNanos) {
    lock.lock();
    try {
      routeCaps.putAll(routeCapsNanos);
      tenantCaps.putAll(tenantCapsNanos);
    } finally {
      lock.unlock();
    }
  }

  /** Settled, held, cap and remaining for every route and tenant known on {@code day}. */
  public Snapshot snapshot(LocalDate day) {
    Objects.requireNonNull(day, "day");
    Map<String, Snapshot.Usage> routes = new HashMap<>();
    Map<String, Snapshot.Usage> tenants = new HashMap<>();
    lock.lock();
    try {
      Day d = days.get(day);
      if (d != null) {
        d.routes.forEach((k, a) -> routes.put(k, a.usage(routeCaps.get(k))));
        d.tenants.forEach((k, a) -> tenants.put(k, a.usage(tenantCaps.get(k))));
      }
      routeCaps.forEach((k, c) -> routes.putIfAbsent(k, new Account().usage(c)));
      tenantCaps.forEach((k, c) -> tenants.putIfAbsent(k, new Account().usage(c)));
    } finally {
      lock.unlock();
    }
    return new Snapshot(day, routes, tenants);
  }

  /** Holds currently open (granted, not yet settled or released), across all days. */
  public int openHolds() {
    lock.lock();
    try {
      return open.size();
    } finally {
      lock.unlock();
    }
  }

  private Day dayLocked(LocalDate day) {
    Day d = days.get(day);
    if (d == null) {
      d = new Day();
      days.put(day, d);
      // A new day started: forget days before yesterday that no open hold still points at.
      LocalDate keepFrom = day.minusDays(1);
      days.headMap(keepFrom).values().removeIf(old -> old.openHolds == 0);
    }
    return d;
  }

  private static CompletableFuture<Void> call(java.util.function.Supplier<CompletableFuture<Void>> op) {
    try {
      CompletableFuture<Void> f = op.get();
      return f != null ? f : CompletableFuture.failedFuture(new NullPointerException("journal returned null"));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static void requireNonNegative(String name, long v) {
    if (v < 0) {
      throw new IllegalArgumentException(name + ": " + v + " (expected: >= 0)");
    }
  }

  /** Open holds per day, so a day is never pruned while a hold still settles into it. */
  private static final class Day {
    final Map<String, Account> routes = new HashMap<>();
    final Map<String, Account> tenants = new HashMap<>();
    int openHolds;
  }

  private static final class Account {
    long settled;
    long held;

    long used() {
      return Cost.saturatedAdd(settled, held);
    }

    /** {@code used + worst <= cap}, written so that no sum can wrap. */
    boolean fits(long worst, long cap) {
      long used = used();
      return used <= cap && worst <= cap - used;
    }

    Snapshot.Usage usage(Long cap) {
      if (cap == null) {
        return new Snapshot.Usage(settled, held, OptionalLong.empty(), OptionalLong.empty());
      }
      return new Snapshot.Usage(settled, held, OptionalLong.of(cap), OptionalLong.of(Math.max(0, cap - used())));
    }
  }
}
