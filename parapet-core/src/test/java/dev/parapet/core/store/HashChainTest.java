package dev.parapet.core.store;

import static dev.parapet.core.store.StoreFixtures.exec;
import static dev.parapet.core.store.StoreFixtures.flush;
import static dev.parapet.core.store.StoreFixtures.open;
import static dev.parapet.core.store.StoreFixtures.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.store.VerificationResult.Problem;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tampering by hand, with the database key, is caught at the next boot and names the seq. */
class HashChainTest {
  private static final int ROWS = 10;

  @TempDir Path dir;

  @BeforeEach
  void writeTenRows() throws Exception {
    try (TelemetryStore store = open(dir)) {
      for (int i = 1; i <= ROWS; i++) {
        if (i % 3 == 0) {
          store.offerEvent(StoreFixtures.event(StoreFixtures.NOON, "e" + i, EventKind.REDACTED));
        } else {
          store.offerRequest(request("r" + i, 100 * i));
        }
      }
      flush(store);
      VerificationResult v = store.verifyChain();
      assertTrue(v.ok(), v.detail());
      assertEquals(ROWS, v.rowsChecked());
    }
  }

  @Test
  void intactChainOpens() throws Exception {
    try (TelemetryStore store = open(dir)) {
      assertEquals(ROWS, store.verifyChain().rowsChecked());
    }
  }

  @Test
  void editedCostIsDetected() throws Exception {
    exec(dir, "UPDATE journal SET cost_nano = 1 WHERE seq = 4");
    assertBroken(4, Problem.EDITED, "edited");
  }

  @Test
  void editedEventDetailIsDetected() throws Exception {
    exec(dir, "UPDATE journal SET details = 'EMAIL=0' WHERE seq = 6");
    assertBroken(6, Problem.EDITED, "edited");
  }

  @Test
  void deletedMiddleRowIsDetected() throws Exception {
    exec(dir, "DELETE FROM journal WHERE seq = 5");
    assertBroken(5, Problem.MISSING, "missing");
  }

  @Test
  void deletedLastRowIsDetected() throws Exception {
    exec(dir, "DELETE FROM journal WHERE seq = " + ROWS);
    assertBroken(ROWS, Problem.HEAD_MISMATCH, "tail deleted");
  }

  @Test
  void deletedEverythingIsDetected() throws Exception {
    exec(dir, "DELETE FROM journal");
    assertBroken(1, Problem.HEAD_MISMATCH, "tail deleted");
  }

  @Test
  void deletedHeadIsDetected() throws Exception {
    exec(dir, "DELETE FROM chain_head");
    assertBroken(ROWS + 1, Problem.HEAD_MISMATCH, "head is missing");
  }

  @Test
  void swappedRowsAreDetected() throws Exception {
    exec(
        dir,
        "UPDATE journal SET seq = -1 WHERE seq = 3",
        "UPDATE journal SET seq = 3 WHERE seq = 7",
        "UPDATE journal SET seq = 7 WHERE seq = -1");
    assertBroken(3, Problem.REORDERED, "reordered");
  }

  @Test
  void swappedAdjacentRowContentsAreDetected() throws Exception {
    // Move the contents but leave seq and mac in place.
    exec(
        dir,
        "UPDATE journal SET request_id = 'tmp' WHERE seq = 4",
        "UPDATE journal SET request_id = 'r4', cost_nano = 400 WHERE seq = 5",
        "UPDATE journal SET request_id = 'r5', cost_nano = 500 WHERE seq = 4");
    assertBroken(4, Problem.REORDERED, "reordered");
  }

  @Test
  void acceptedBreakStartsNewSegment() throws Exception {
    exec(dir, "UPDATE journal SET cost_nano = 1 WHERE seq = 2");
    try (TelemetryStore store = open(dir, StoreOptions.defaults().withAcceptBrokenChain(true))) {
      VerificationResult v = store.verifyChain();
      assertTrue(v.ok(), v.detail());
      assertEquals(ROWS - 2, v.rowsChecked(), "the new segment starts right after the edited row");
      store.offerRequest(request("after", 7));
      flush(store);
      assertEquals(ROWS - 1, store.verifyChain().rowsChecked());
    }
    // The acknowledgement is durable: a plain reopen now succeeds, and later tampering is caught.
    try (TelemetryStore store = open(dir)) {
      assertTrue(store.verifyChain().ok());
    }
    exec(dir, "UPDATE journal SET cost_nano = 8 WHERE seq = " + (ROWS + 1));
    assertBroken(ROWS + 1, Problem.EDITED, "edited");
  }

  @Test
  void acceptedBreaksAreEachAnchoredAndLaterRowsStayVerified() throws Exception {
    exec(
        dir,
        "DELETE FROM journal WHERE seq = 3",
        "UPDATE journal SET tokens_out = 0 WHERE seq = 6",
        "DELETE FROM journal WHERE seq = " + ROWS);
    try (TelemetryStore store = open(dir, StoreOptions.defaults().withAcceptBrokenChain(true))) {
      VerificationResult v = store.verifyChain();
      assertTrue(v.ok(), v.detail());
      assertEquals(0, v.rowsChecked(), "the tail deletion anchors after the last row left");
    }
    exec(dir, "DELETE FROM journal WHERE seq = 2");
    try (TelemetryStore store = open(dir)) {
      assertTrue(store.verifyChain().ok(), "rows before the accepted segment are not re-checked");
    }
  }

  @Test
  void acceptedMiddleGapKeepsTheRestVerified() throws Exception {
    exec(dir, "DELETE FROM journal WHERE seq = 4");
    try (TelemetryStore store = open(dir, StoreOptions.defaults().withAcceptBrokenChain(true))) {
      assertEquals(ROWS - 5, store.verifyChain().rowsChecked(), "rows 6.. verified from row 5");
    }
    exec(dir, "UPDATE journal SET cost_nano = 1 WHERE seq = 8");
    assertBroken(8, Problem.EDITED, "edited");
  }

  @Test
  void retentionAfterAnAcceptedBreakDoesNotReopenIt() throws Exception {
    exec(dir, "UPDATE journal SET cost_nano = 1 WHERE seq = 7");
    try (TelemetryStore store = open(dir, StoreOptions.defaults().withAcceptBrokenChain(true))) {
      assertTrue(store.verifyChain().ok());
    }
    // Rows up to the accepted break are no longer verified; give row 5 a recent date so that
    // retention's prefix (rows 1..4) ends before the anchor at 7.
    exec(dir, "UPDATE journal SET day = '2099-01-01' WHERE seq = 5");
    try (TelemetryStore store = open(dir)) {
      assertEquals(4, store.applyRetention(StoreFixtures.DAY.plusDays(200), 90));
      VerificationResult v = store.verifyChain();
      assertTrue(v.ok(), v.detail());
      assertEquals(ROWS - 7, v.rowsChecked(), "verification still starts after the break");
    }
    try (TelemetryStore store = open(dir)) {
      assertTrue(store.verifyChain().ok());
    }
  }

  @Test
  void alteredAnchorIsDetected() throws Exception {
    exec(dir, "UPDATE journal SET cost_nano = 1 WHERE seq = 2");
    try (TelemetryStore store = open(dir, StoreOptions.defaults().withAcceptBrokenChain(true))) {
      assertTrue(store.verifyChain().ok());
    }
    exec(dir, "UPDATE chain_anchor SET after_seq = after_seq - 1");
    StoreException e = assertThrows(StoreException.class, () -> open(dir));
    assertTrue(e.getMessage().contains("anchor"), e.getMessage());
  }

  @Test
  void verifyOnDemandSeesTamperingWhileOpen() throws Exception {
    try (TelemetryStore store = open(dir)) {
      exec(dir, "UPDATE journal SET tokens_in = 999 WHERE seq = 8");
      VerificationResult v = store.verifyChain();
      assertFalse(v.ok());
      assertEquals(Optional.of(8L), v.brokenAtSeq());
      assertEquals(7, v.rowsChecked());
    }
  }

  private void assertBroken(long seq, Problem problem, String words) {
    StoreException e = assertThrows(StoreException.class, () -> open(dir));
    String m = e.getMessage();
    assertTrue(m.contains("broken at seq " + seq + " (" + problem.name().toLowerCase() + ")"), m);
    assertTrue(m.contains(words), m);
    assertTrue(m.contains(dir.toString()), m);
  }
}
