package dev.parapet.core.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGKILL under load loses no settlement the caller was told about, and leaves a valid chain. */
class KillNineTest {
  @TempDir Path dir;

  @Test
  void killNineLosesNoCommittedSettlement() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process child =
        new ProcessBuilder(
                java.toString(), "-cp", System.getProperty("java.class.path"),
                CrashChild.class.getName(), dir.toString())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    List<String> settled = new ArrayList<>();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("settled ")) {
          settled.add(line);
        }
        if (settled.size() >= 400 || System.nanoTime() > deadline) {
          break;
        }
      }
      // SIGKILL through the handle: Process.destroyForcibly() would also close our end of the pipe.
      assertTrue(child.toHandle().destroyForcibly());
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
      // Lines already written before the kill are still in the pipe: each is a committed settlement.
      while ((line = out.readLine()) != null) {
        if (line.startsWith("settled ")) {
          settled.add(line);
        }
      }
    }
    assertTrue(settled.size() >= 50, "child reported only " + settled.size() + " settlements");
    Set<String> ids = new HashSet<>();
    settled.forEach(l -> ids.add(l.split(" ")[1]));
    assertEquals(settled.size(), ids.size());

    assertTrue(EncryptedDatabase.hasLog(dir.resolve(EncryptedDatabase.FILE_NAME)),
        "the premise: SIGKILL leaves a write-ahead log, so the open reads every page through it");
    // The open runs the boot's checks (the whole file through the log, the ledger's pages of DAY's
    // eve and later): a store left by SIGKILL passes them.
    try (TelemetryStore store = TelemetryStore.open(dir, StoreFixtures.STORE_KEY, StoreFixtures.MAC_KEY,
        StoreOptions.defaults(), StoreFixtures.DAY)) {
      assertTrue(store.verifyChain().ok(), "the chain survives SIGKILL");
      List<HoldRecord> recovered = store.recoverOpenHolds();
      for (HoldRecord h : recovered) {
        assertTrue(!ids.contains(h.holdId()), "a reported settlement left its hold open: " + h.holdId());
      }
      long recoveredWorst = recovered.stream().mapToLong(HoldRecord::worstCaseNanoUsd).sum();
      long spend = store.spendForDay(StoreFixtures.DAY).get(SpendKey.tenant("prod"));
      long settledSpend = spend - recoveredWorst;
      System.out.printf(
          "kill -9: %d settlements reported, %d committed, %d holds recovered%n",
          settled.size(), settledSpend / CrashChild.ACTUAL, recovered.size());
      assertEquals(0, settledSpend % CrashChild.ACTUAL, "spend is whole settlements plus recovered holds");
      assertTrue(
          settledSpend / CrashChild.ACTUAL >= settled.size(),
          "committed settlements " + settledSpend / CrashChild.ACTUAL + " < reported " + settled.size());
      assertEquals(spend, store.spendForDay(StoreFixtures.DAY).get(SpendKey.route("summarizer")));
    }
  }
}
