package dev.parapet.core.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer's canonical form (Java) must equal the verifier's (SQLite's quote()) byte for byte. */
class JournalEntryTest {
  @TempDir Path dir;

  @Test
  void javaAndSqliteRenderTheSameCanonicalBytes() throws Exception {
    List<JournalEntry> rows =
        List.of(
            JournalEntry.of(
                new RequestRecord(
                    Instant.parse("1969-12-31T23:59:59.999999Z"), "req-'quoted'", "o'brien",
                    "sérvice-ü-日本", "route", "anthropic", "claude", Optional.empty(), 0,
                    Long.MAX_VALUE, 12, 0, 599, Optional.of("model_drift"), List.of("a,b", "EMAIL=2"))),
            JournalEntry.of(
                new EventRecord(
                    Instant.parse("2026-11-20T12:00:00Z"), "e", EventKind.FINGERPRINT_CHANGED,
                    "t", Optional.empty(), Optional.of("r"), Map.of("old", "fp_1", "new", "fp_2"))),
            JournalEntry.of(StoreFixtures.request("plain", 0)));
    try (TelemetryStore store = StoreFixtures.open(dir)) {
      assertTrue(store.verifyChain().ok());
    }
    try (Connection c = StoreFixtures.raw(dir)) {
      try (PreparedStatement ps = c.prepareStatement(JournalEntry.INSERT)) {
        long seq = 1;
        for (JournalEntry e : rows) {
          e.bind(ps, seq++, new byte[32]);
          ps.executeUpdate();
        }
      }
      try (PreparedStatement ps = c.prepareStatement(JournalEntry.SELECT_CANONICAL)) {
        ps.setLong(1, 0);
        try (ResultSet rs = ps.executeQuery()) {
          for (JournalEntry e : rows) {
            assertTrue(rs.next());
            assertArrayEquals(
                e.canonical(), rs.getBytes(3), new String(e.canonical(), StandardCharsets.UTF_8));
          }
        }
      }
      try (Statement st = c.createStatement()) {
        st.executeUpdate("DELETE FROM journal");
      }
    }
  }
}
