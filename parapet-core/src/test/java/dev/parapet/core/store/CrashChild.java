package dev.parapet.core.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Run in a child JVM by {@link KillNineTest}: several threads hold and settle in a loop and print
 * {@code settled <holdId> <nano>} for every settlement known to be committed. The ledger queue is
 * FIFO and committed in order, so once the thread's next hold is durable its previous settlement
 * is too. The parent kills this process with SIGKILL at an arbitrary moment.
 */
public final class CrashChild {
  static final long WORST = 1_000;
  static final long ACTUAL = 7;
  static final int THREADS = 4;

  private CrashChild() {}

  public static void main(String[] args) throws Exception {
    TelemetryStore store = StoreFixtures.open(Path.of(args[0]));
    System.out.println("ready");
    System.out.flush();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int id = t;
      Thread th =
          new Thread(
              () -> {
                String previous = null;
                for (long i = 0; ; i++) {
                  String holdId = "t" + id + "-" + i;
                  store.persistHold(StoreFixtures.hold(holdId, WORST)).join();
                  if (previous != null) {
                    synchronized (System.out) {
                      System.out.println("settled " + previous + " " + ACTUAL);
                      System.out.flush();
                    }
                  }
                  store.offerRequest(
                      StoreFixtures.request(
                          StoreFixtures.NOON, "req-" + holdId, "prod", "billing", "summarizer",
                          10, 20, ACTUAL, 200, Optional.empty()));
                  store.persistSettlement(StoreFixtures.settle(holdId, ACTUAL));
                  previous = holdId;
                }
              });
      th.start();
      threads.add(th);
    }
    for (Thread th : threads) {
      th.join();
    }
  }
}
