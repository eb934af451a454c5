package dev.parapet.core.budget;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** An in-memory {@link LedgerJournal} that records every call; can be told to fail holds. */
final class RecordingJournal implements LedgerJournal {
  final List<String> events = new CopyOnWriteArrayList<>();
  final ConcurrentHashMap<String, Hold> openHolds = new ConcurrentHashMap<>();
  volatile boolean failHolds;

  @Override
  public CompletableFuture<Void> persistHold(Hold hold) {
    if (failHolds) {
      return CompletableFuture.failedFuture(new IllegalStateException("disk full"));
    }
    openHolds.put(hold.id(), hold);
    events.add("hold " + hold.id() + " " + hold.worstCaseNanos());
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> persistSettlement(Hold hold, long actualNanos) {
    openHolds.remove(hold.id());
    events.add("settle " + hold.id() + " " + actualNanos);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Void> persistRelease(Hold hold) {
    openHolds.remove(hold.id());
    events.add("release " + hold.id());
    return CompletableFuture.completedFuture(null);
  }
}
