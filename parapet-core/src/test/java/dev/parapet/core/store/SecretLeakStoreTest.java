package dev.parapet.core.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plants a canary in every field a record lets through, drives every path that logs (shedding,
 * disk errors, hold recovery, a broken chain accepted and refused), then reads every log line and
 * every byte on disk: neither the canary nor the keys appear.
 */
class SecretLeakStoreTest {
  private static final String CANARY = "sk-proj-CANARYc4n4ry0000000000000001";

  @TempDir Path dir;

  @Test
  void canaryAndKeysAppearInNoLogLineAndNoFile() throws Exception {
    int before = CapturedLogs.lines().size();
    try (TelemetryStore store = StoreFixtures.open(dir, StoreOptions.defaults().withDetailQueueCapacity(2))) {
      store.persistHold(new HoldRecord(CANARY, StoreFixtures.DAY, CANARY, CANARY, 5, StoreFixtures.NOON))
          .get(5, TimeUnit.SECONDS);
      store.writer().pauseForTest();
      for (int i = 0; i < 5; i++) {
        store.offerRequest(
            new RequestRecord(StoreFixtures.NOON, CANARY + i, CANARY, CANARY, CANARY, CANARY, CANARY,
                Optional.of(CANARY), 1, 1, 1, 1, 200, Optional.empty(), List.of(CANARY)));
      }
      store.writer().failNextCommitsForTest(2);
      store.writer().resumeForTest();
      assertTrue(store.flush(Duration.ofSeconds(10)));
      assertThrows(Exception.class,
          () -> store.persistHold(new HoldRecord(CANARY, StoreFixtures.DAY, CANARY, CANARY, 5, StoreFixtures.NOON))
              .get(5, TimeUnit.SECONDS));
    }
    try (TelemetryStore store = StoreFixtures.open(dir)) {
      store.recoverOpenHolds();
      store.offerEvent(
          new EventRecord(StoreFixtures.NOON, CANARY, EventKind.REDACTED, CANARY, Optional.of(CANARY),
              Optional.of(CANARY), java.util.Map.of("EMAIL", CANARY)));
      StoreFixtures.flush(store);
    }
    StoreFixtures.exec(dir, "UPDATE journal SET cost_nano = 99 WHERE seq = 1");
    assertThrows(StoreException.class, () -> StoreFixtures.open(dir));
    try (TelemetryStore store = StoreFixtures.open(dir, StoreOptions.defaults().withAcceptBrokenChain(true))) {
      assertTrue(store.verifyChain().ok());
    }
    assertThrows(StoreException.class,
        () -> TelemetryStore.open(dir, StoreFixtures.key(77), StoreFixtures.MAC_KEY, StoreOptions.defaults()));

    List<String> lines = CapturedLogs.lines().subList(before, CapturedLogs.lines().size());
    assertTrue(lines.stream().anyMatch(l -> l.contains("shed")), "shed warning logged: " + lines);
    assertTrue(lines.stream().anyMatch(l -> l.contains("failed")), "write failure logged: " + lines);
    assertTrue(lines.stream().anyMatch(l -> l.contains("worst case")), "recovery logged: " + lines);
    assertTrue(lines.stream().anyMatch(l -> l.contains("broken at seq 1")), "break logged: " + lines);
    List<String> secrets =
        List.of(
            CANARY,
            HexFormat.of().formatHex(StoreFixtures.STORE_KEY),
            HexFormat.of().withUpperCase().formatHex(StoreFixtures.STORE_KEY),
            HexFormat.of().formatHex(StoreFixtures.MAC_KEY),
            HexFormat.of().withUpperCase().formatHex(StoreFixtures.MAC_KEY));
    for (String line : lines) {
      for (String s : secrets) {
        assertFalse(line.contains(s), "a log line leaks a secret: " + line);
      }
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        for (String s : secrets) {
          assertFalse(bytes.contains(s), f.getFileName() + " contains a secret");
        }
        assertFalse(bytes.contains("CANARY"), f.getFileName() + " contains the canary");
      }
    }
  }
}
