package dev.parapet.core.store;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Keys, records and raw access shared by the store tests. */
final class StoreFixtures {
  static final LocalDate DAY = LocalDate.of(2026, 11, 20);
  static final Instant NOON = Instant.parse("2026-11-20T12:00:00Z");

  private StoreFixtures() {}

  static byte[] key(int seed) {
    byte[] k = new byte[32];
    for (int i = 0; i < k.length; i++) {
      k[i] = (byte) (seed * 31 + i * 7);
    }
    return k;
  }

  static final byte[] STORE_KEY = key(1);
  static final byte[] MAC_KEY = key(2);

  static TelemetryStore open(Path dir) throws StoreException {
    return open(dir, StoreOptions.defaults());
  }

  static TelemetryStore open(Path dir, StoreOptions options) throws StoreException {
    return TelemetryStore.open(dir, STORE_KEY, MAC_KEY, options);
  }

  static RequestRecord request(
      Instant time, String id, String tenant, String service, String route, long in, long out,
      long cost, int status, Optional<String> code) {
    return new RequestRecord(
        time, id, tenant, service, route, "openai", "gpt-4o-mini",
        Optional.of("gpt-4o-mini-2024-07-18"), in, out, cost, 1_234, status, code, List.of());
  }

  static RequestRecord request(String id, long cost) {
    return request(NOON, id, "prod", "billing", "summarizer", 10, 20, cost, 200, Optional.empty());
  }

  static EventRecord event(Instant time, String id, EventKind kind) {
    return new EventRecord(
        time, id, kind, "prod", Optional.of("billing"), Optional.of("summarizer"), Map.of("EMAIL", "2"));
  }

  static HoldRecord hold(String id, long worst) {
    return new HoldRecord(id, DAY, "summarizer", "prod", worst, NOON);
  }

  static SettlementRecord settle(String id, long actual) {
    return new SettlementRecord(id, DAY, "summarizer", "prod", actual);
  }

  static void flush(TelemetryStore store) {
    if (!store.flush(Duration.ofSeconds(10))) {
      throw new AssertionError("store did not drain in 10 s");
    }
  }

  /** A keyed connection for editing rows by hand, as an attacker holding the key could. */
  static Connection raw(Path dir) throws SQLException {
    return EncryptedDatabase.connect(
        dir.resolve(EncryptedDatabase.FILE_NAME), STORE_KEY, Duration.ofSeconds(5),
        EncryptedDatabase.Kdf.SINGLE_ITERATION);
  }

  static void exec(Path dir, String... sql) throws SQLException {
    try (Connection c = raw(dir); var st = c.createStatement()) {
      for (String s : sql) {
        st.executeUpdate(s);
      }
    }
  }
}
