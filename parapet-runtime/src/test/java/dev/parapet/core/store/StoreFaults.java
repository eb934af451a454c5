package dev.parapet.core.store;

/**
 * Reaches the store writer's fault hook from the runtime's tests (same package, test sources only):
 * the next commits fail as a full disk would.
 */
public final class StoreFaults {
  private StoreFaults() {}

  /** Holds the writer still, so what is queued meanwhile lands in one batch. */
  public static void pause(TelemetryStore store) {
    store.writer().pauseForTest();
  }

  public static void resume(TelemetryStore store) {
    store.writer().resumeForTest();
  }

  public static void failNextCommits(TelemetryStore store, int n) {
    store.writer().failNextCommitsForTest(n);
  }
}
