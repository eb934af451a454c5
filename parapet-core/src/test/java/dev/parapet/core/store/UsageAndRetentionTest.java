package dev.parapet.core.store;

import static dev.parapet.core.store.StoreFixtures.flush;
import static dev.parapet.core.store.StoreFixtures.open;
import static dev.parapet.core.store.StoreFixtures.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.CountDownLatch;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsageAndRetentionTest {
  private static final LocalDate FIRST = LocalDate.of(2026, 8, 1);
  private static final List<String> TENANTS = List.of("prod", "staging");
  private static final List<String> SERVICES = List.of("billing", "search", "support");
  private static final List<String> ROUTES = List.of("summarizer", "classifier");
  private static final List<Optional<String>> CODES =
      List.of(Optional.empty(), Optional.empty(), Optional.of("budget_exceeded"),
          Optional.of("invalid_request"), Optional.of("model_drift"));

  @TempDir Path dir;

  /** 600 requests over 120 days with mixed names and outcomes, in time order. */
  private static List<RequestRecord> scripted() {
    Random rnd = new Random(7);
    List<RequestRecord> out = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      LocalDate day = FIRST.plusDays(i / 5);
      Instant t = day.atStartOfDay(ZoneOffset.UTC).toInstant().plusSeconds(60L * (i % 5));
      Optional<String> code = CODES.get(rnd.nextInt(CODES.size()));
      int status = code.map(c -> c.equals("budget_exceeded") ? 402 : c.equals("model_drift") ? 502 : 400).orElse(200);
      out.add(
          request(t, "r" + i, TENANTS.get(rnd.nextInt(2)), SERVICES.get(rnd.nextInt(3)),
              ROUTES.get(rnd.nextInt(2)), rnd.nextInt(1_000), rnd.nextInt(500),
              rnd.nextInt(1_000_000), status, code));
    }
    return out;
  }

  private static Map<String, UsageRow> expected(
      List<RequestRecord> records, LocalDate from, LocalDate to, Function<RequestRecord, String> key) {
    Map<String, long[]> sums = new TreeMap<>();
    for (RequestRecord r : records) {
      LocalDate d = LocalDate.ofInstant(r.time(), ZoneOffset.UTC);
      if (d.isBefore(from) || d.isAfter(to)) {
        continue;
      }
      long[] s = sums.computeIfAbsent(key.apply(r), k -> new long[5]);
      s[0]++;
      s[1] += r.tokensIn();
      s[2] += r.tokensOut();
      s[3] += r.costNanoUsd();
      s[4] += r.blocked() ? 1 : 0;
    }
    Map<String, UsageRow> out = new TreeMap<>();
    sums.forEach((k, s) -> out.put(k, new UsageRow(k, s[0], s[1], s[2], s[3], s[4])));
    return out;
  }

  private static Map<String, UsageRow> byGroup(List<UsageRow> rows) {
    Map<String, UsageRow> out = new TreeMap<>();
    rows.forEach(r -> out.put(r.group(), r));
    return out;
  }

  private static final Map<GroupBy, Function<RequestRecord, String>> KEYS =
      Map.of(
          GroupBy.TENANT, RequestRecord::tenant,
          GroupBy.SERVICE, RequestRecord::service,
          GroupBy.ROUTE, RequestRecord::route,
          GroupBy.DAY, r -> LocalDate.ofInstant(r.time(), ZoneOffset.UTC).toString());

  /** A store in {@link #dir} holding {@code records}, written through. */
  private TelemetryStore openWith(List<RequestRecord> records) throws StoreException {
    TelemetryStore store = open(dir);
    records.forEach(store::offerRequest);
    flush(store);
    return store;
  }

  @Test
  void usageEqualsTheRecordsForEveryGrouping() throws Exception {
    List<RequestRecord> records = scripted();
    try (TelemetryStore store = openWith(records)) {
      LocalDate from = FIRST.plusDays(10);
      LocalDate to = FIRST.plusDays(40);
      for (GroupBy g : GroupBy.values()) {
        assertEquals(expected(records, from, to, KEYS.get(g)), byGroup(store.usage(from, to, g)), g.name());
      }
      assertThrows(IllegalArgumentException.class, () -> store.usage(to, from, GroupBy.DAY));
    }
  }

  @Test
  void retentionRollsUpKeepsUsageAndTheChainVerifies() throws Exception {
    List<RequestRecord> records = scripted();
    LocalDate today = FIRST.plusDays(119);
    try (TelemetryStore store = open(dir)) {
      store.offerEvent(StoreFixtures.event(FIRST.atStartOfDay(ZoneOffset.UTC).toInstant(), "old", EventKind.DENIED));
      records.forEach(store::offerRequest);
      store.offerEvent(StoreFixtures.event(today.atStartOfDay(ZoneOffset.UTC).toInstant(), "new", EventKind.DENIED));
      flush(store);
      int deleted = store.applyRetention(today, 90);
      // Days FIRST .. today-91 (29 days x 5 requests) plus the old event.
      assertEquals(29 * 5 + 1, deleted);
      VerificationResult v = store.verifyChain();
      assertTrue(v.ok(), v.detail());
      assertEquals(records.size() - 29 * 5 + 1, v.rowsChecked());
      for (GroupBy g : GroupBy.values()) {
        assertEquals(
            expected(records, FIRST, today, KEYS.get(g)), byGroup(store.usage(FIRST, today, g)), g.name());
      }
      assertEquals(0, store.applyRetention(today, 90), "nothing left to roll up");
      assertEquals(1, store.events(Optional.empty(), Optional.of(EventKind.DENIED), 10).size());
      // New rows keep chaining after the anchor.
      store.offerRequest(request(today.atStartOfDay(ZoneOffset.UTC).toInstant(), "late", "prod", "billing", "summarizer", 1, 1, 1, 200, Optional.empty()));
      flush(store);
    }
    try (TelemetryStore store = open(dir)) {
      assertTrue(store.verifyChain().ok());
      // A second run later rolls more days into existing rollup rows.
      store.applyRetention(today.plusDays(20), 90);
      assertTrue(store.verifyChain().ok());
      assertEquals(
          expected(records, FIRST, today, KEYS.get(GroupBy.TENANT)).get("prod").costNanoUsd() + 1,
          byGroup(store.usage(FIRST, today, GroupBy.TENANT)).get("prod").costNanoUsd());
    }
    // Deleting a row just after the anchor is still caught.
    try (var c = StoreFixtures.raw(dir); var st = c.createStatement();
        var rs = st.executeQuery("SELECT MIN(seq) FROM journal")) {
      rs.next();
      long first = rs.getLong(1);
      st.executeUpdate("DELETE FROM journal WHERE seq = " + first);
      StoreException e = assertThrows(StoreException.class, () -> open(dir));
      assertTrue(e.getMessage().contains("broken at seq " + first), e.getMessage());
    }
  }

  @Test
  void aLargeRetentionRunsInChunksEachAnchoredAndLosesNoUsage() throws Exception {
    int rows = 2 * Retention.CHUNK_ROWS + 345;
    Instant old = FIRST.atStartOfDay(ZoneOffset.UTC).toInstant();
    try (TelemetryStore store = open(dir)) {
      for (int i = 0; i < rows; i++) {
        store.offerRequest(request(old, "r" + i, "prod", "billing", "summarizer", 1, 2, 3, 200, Optional.empty()));
        if (i % 500 == 499) {
          flush(store); // stay under the detail queue's bound: nothing shed
        }
      }
      flush(store);
      assertEquals(rows, store.applyRetention(FIRST.plusDays(200), 90));
      VerificationResult v = store.verifyChain();
      assertTrue(v.ok(), v.detail());
      assertEquals(0, v.rowsChecked());
      assertEquals(3L * rows, byGroup(store.usage(FIRST, FIRST, GroupBy.TENANT)).get("prod").costNanoUsd());
    }
    try (var c = StoreFixtures.raw(dir); var st = c.createStatement();
        var rs = st.executeQuery("SELECT COUNT(*) FROM chain_anchor")) {
      rs.next();
      assertEquals(3, rs.getInt(1), "one anchor per chunk of " + Retention.CHUNK_ROWS);
    }
    try (TelemetryStore store = open(dir)) {
      assertTrue(store.verifyChain().ok(), "reopens on the last chunk's anchor");
    }
  }

  @Test
  void usageAndEventsAreAnsweredWhileRetentionVerifiesTheChain() throws Exception {
    try (TelemetryStore store = openWith(scripted())) {
      CountDownLatch verifying = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      store.duringRetentionPlanForTest = () -> {
        verifying.countDown();
        try {
          release.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      };
      ExecutorService daily = Executors.newSingleThreadExecutor();
      try {
        Future<Integer> retention = daily.submit(() -> store.applyRetention(FIRST.plusDays(120), 30));
        assertTrue(verifying.await(10, TimeUnit.SECONDS), "retention started verifying");
        // The reader is free: these return while the verification is held.
        ExecutorService admin = Executors.newSingleThreadExecutor();
        try {
          Future<List<UsageRow>> usage = admin.submit(() -> store.usage(FIRST, FIRST.plusDays(119), GroupBy.ROUTE));
          assertEquals(ROUTES.size(), usage.get(5, TimeUnit.SECONDS).size());
          Future<List<EventRow>> events = admin.submit(() -> store.events(Optional.empty(), Optional.empty(), 10));
          events.get(5, TimeUnit.SECONDS);
        } finally {
          admin.shutdownNow();
        }
        assertFalse(retention.isDone(), "the verification is still held");
        release.countDown();
        assertTrue(retention.get(20, TimeUnit.SECONDS) > 0, "and the run then deletes the old rows");
      } finally {
        release.countDown();
        daily.shutdownNow();
      }
      assertTrue(store.verifyChain().ok());
    }
  }

  @Test
  void retentionRefusesABrokenChain() throws Exception {
    try (TelemetryStore store = open(dir)) {
      scripted().forEach(store::offerRequest);
      flush(store);
      StoreFixtures.exec(dir, "UPDATE journal SET cost_nano = 0 WHERE seq = 3");
      StoreException e = assertThrows(StoreException.class, () -> store.applyRetention(FIRST.plusDays(119), 90));
      assertTrue(e.getMessage().contains("chain broken at seq 3"), e.getMessage());
    }
  }

  @Test
  void eventsNewestFirstFilteredAndBounded() throws Exception {
    Instant t0 = Instant.parse("2026-11-20T10:00:00Z");
    try (TelemetryStore store = open(dir)) {
      for (int i = 0; i < 30; i++) {
        EventKind kind = i % 2 == 0 ? EventKind.BUDGET_EXCEEDED : EventKind.MODEL_DRIFT;
        store.offerEvent(StoreFixtures.event(t0.plusSeconds(i), "e" + i, kind));
        store.offerRequest(request("r" + i, 1));
      }
      flush(store);
      List<EventRow> all = store.events(Optional.empty(), Optional.empty(), 1_000);
      assertEquals(30, all.size());
      assertEquals("e29", all.get(0).requestId());
      assertEquals(Map.of("EMAIL", "2"), all.get(0).details());
      assertEquals(Optional.of("summarizer"), all.get(0).route());
      List<EventRow> drift = store.events(Optional.of(t0.plusSeconds(20)), Optional.of(EventKind.MODEL_DRIFT), 3);
      assertEquals(List.of("e29", "e27", "e25"), drift.stream().map(EventRow::requestId).toList());
      assertEquals(5, store.events(Optional.of(t0.plusSeconds(20)), Optional.of(EventKind.MODEL_DRIFT), 100).size());
      assertEquals(List.of(), store.events(Optional.of(Instant.MAX), Optional.empty(), 10));
      assertEquals(10, store.events(Optional.of(Instant.MIN), Optional.empty(), 10).size());
      assertEquals(t0.plusSeconds(29), all.get(0).time());
      assertThrows(IllegalArgumentException.class, () -> store.events(Optional.empty(), Optional.empty(), 0));
      assertThrows(IllegalArgumentException.class, () -> store.events(Optional.empty(), Optional.empty(), 1_001));
    }
  }

  @Test
  void aRequestsRowIsFoundByItsIdAsWritten() throws Exception {
    RequestRecord cut = new RequestRecord(StoreFixtures.NOON, "cut-1", "prod", "billing", "summarizer", "openai", "gpt-4o-mini",
        Optional.empty(), 12, 34, 56_000, 789, 200, Optional.of("stream_truncated"),
        List.of("stream_truncated:scan_output:CARD", "usage:counted"));
    try (TelemetryStore store = open(dir)) {
      store.offerRequest(request("plain", 5));
      store.offerEvent(StoreFixtures.event(StoreFixtures.NOON, "cut-1", EventKind.STREAM_TRUNCATED)); // same id, an event
      store.offerRequest(cut);
      flush(store);
      assertEquals(Optional.of(cut), store.request("cut-1"));
      assertEquals(Optional.of(request("plain", 5)), store.request("plain"));
      assertEquals(List.of(), store.request("plain").orElseThrow().notes());
      assertEquals(Optional.empty(), store.request("nobody"));
    }
  }
}
