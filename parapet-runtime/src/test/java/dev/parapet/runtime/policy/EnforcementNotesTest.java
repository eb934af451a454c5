package dev.parapet.runtime.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.parapet.core.store.EventKind;
import dev.parapet.core.store.EventRecord;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.testing.TestConfigs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What an enforcement event leaves on its call's telemetry row. */
class EnforcementNotesTest {
  private static GatewayRequest request() {
    return new GatewayRequest("r1", TestConfigs.config().spec().services().get(0),
        TestConfigs.route("summarizer", "prod", "echo-1"), JsonNodeFactory.instance.objectNode(), false, true, 0);
  }

  @Test
  void anEventIsNotedByKindReasonAndPatternNeverItsCountsOrModels() {
    List<EventRecord> recorded = new ArrayList<>();
    EnforcementEvents events = EnforcementEvents.into(recorded::add);
    GatewayRequest r = request();
    events.record(r, EventKind.REDACTED, Map.of("EMAIL", "2", "where", "answer"));
    events.record(r, EventKind.MODEL_DRIFT, Map.of("pinned", "a", "reported", "b", "strict", "false"));
    events.record(r, EventKind.STREAM_TRUNCATED, Map.of("reason", "scan_output", "pattern", "CARD"));
    events.record(r, EventKind.REDACTION_BLOCKED, Map.of("pattern", "EMAIL", "where", "answer"));
    events.record(r, EventKind.REDACTED, Map.of("PHONE", "1")); // a second redaction: one note
    assertEquals(List.of("redacted", "model_drift", "stream_truncated:scan_output:CARD", "redaction_blocked:EMAIL"),
        r.notes());
    assertEquals(5, recorded.size(), "every event is still recorded");
  }

  @Test
  void notesAreBoundedLeavingRoomForTheCharge() {
    GatewayRequest r = request();
    for (int i = 0; i < 40; i++) {
      r.note("n" + i);
    }
    assertEquals(GatewayRequest.MAX_NOTES, r.notes().size());
    assertEquals("n0", r.notes().get(0));
  }
}
