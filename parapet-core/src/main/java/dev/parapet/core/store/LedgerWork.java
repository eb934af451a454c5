package dev.parapet.core.store;

import java.util.concurrent.CompletableFuture;

/** Spend-ledger work queued for the writer. Never shed: see {@link StoreWriter}. */
sealed interface LedgerWork {
  /** A hold; {@code done} completes after COMMIT, or fails so the caller refuses the call. */
  record Hold(HoldRecord hold, CompletableFuture<Void> done) implements LedgerWork {}

  record Settle(SettlementRecord settlement) implements LedgerWork {}

  record Release(String holdId) implements LedgerWork {}
}
