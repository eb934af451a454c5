package dev.parapet.runtime.policy.budget;

import dev.parapet.core.budget.Hold;
import dev.parapet.core.budget.LedgerJournal;
import dev.parapet.core.store.HoldRecord;
import dev.parapet.core.store.SettlementRecord;
import dev.parapet.core.store.TelemetryStore;
import java.util.concurrent.CompletableFuture;

/**
 * The ledger's journal over the telemetry store. A hold is durable before the call goes out
 * (its future completes on the store's writer thread once committed); settlements and releases
 * are queued behind it on the same single writer, in submission order, and are never shed, so
 * their futures complete at once.
 */
final class StoreJournal implements LedgerJournal {
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
  private final TelemetryStore store;

  StoreJournal(TelemetryStore store) {
    this.store = store;
  }

  @Override
  public CompletableFuture<Void> persistHold(Hold hold) {
    return store.persistHold(new HoldRecord(
        hold.id(), hold.day(), hold.route(), hold.tenant(), hold.worstCaseNanos(), hold.takenAt()));
  }

  @Override
  public CompletableFuture<Void> persistSettlement(Hold hold, long actualNanos) {
    store.persistSettlement(new SettlementRecord(hold.id(), hold.day(), hold.route(), hold.tenant(), actualNanos));
    return DONE;
  }

  @Override
  public CompletableFuture<Void> persistRelease(Hold hold) {
    store.persistRelease(hold.id());
    return DONE;
  }
}
