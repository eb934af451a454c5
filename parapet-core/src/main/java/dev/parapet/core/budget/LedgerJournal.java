package dev.parapet.core.budget;

import java.util.concurrent.CompletableFuture;

/**
 * Where the ledger makes its changes durable. The runtime adapts this to the telemetry store;
 * the ledger itself does no I/O and never waits on these futures.
 *
 * <p>Implementations must not block the caller: the ledger calls them on event-loop threads,
 * outside its lock. They may throw; the ledger turns a thrown exception into a failed future.
 *
 * <p>For one hold, {@link #persistHold} is always called before its settlement or release (a hold
 * is not visible to anyone until {@code tryHold} returns), but the settlement may be called
 * before the hold's write has completed, e.g. when a call is cancelled early. An implementation
 * that runs writes in submission order on one executor keeps them consistent.
 */
public interface LedgerJournal {
  /** Record an open hold, so that a crash before settling charges it at its worst case. */
  CompletableFuture<Void> persistHold(Hold hold);

  /** Record that {@code hold} was settled at {@code actualNanos} (and is no longer open). */
  CompletableFuture<Void> persistSettlement(Hold hold, long actualNanos);

  /** Record that {@code hold} was released without a charge (and is no longer open). */
  CompletableFuture<Void> persistRelease(Hold hold);

  /** A journal that remembers nothing: for tools and tests that do not need durability. */
  LedgerJournal NONE =
      new LedgerJournal() {
        @Override
        public CompletableFuture<Void> persistHold(Hold hold) {
          return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> persistSettlement(Hold hold, long actualNanos) {
          return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> persistRelease(Hold hold) {
          return CompletableFuture.completedFuture(null);
        }
      };
}
