package dev.parapet.runtime.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.parapet.core.store.TelemetryStore;
import dev.parapet.runtime.boot.BootException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@value TelemetryStage#RETENTION_DAYS} takes the rule every integer knob takes (IntegerKnob). */
class RetentionDaysTest {
  @Test
  void plainDecimalsWithinOneTo36500AreRead() throws Exception {
    assertEquals(TelemetryStore.DEFAULT_RETENTION_DAYS, TelemetryStage.retentionDays(Map.of()));
    assertEquals(1, TelemetryStage.retentionDays(Map.of(TelemetryStage.RETENTION_DAYS, "1")));
    assertEquals(36_500, TelemetryStage.retentionDays(Map.of(TelemetryStage.RETENTION_DAYS, "36500")));
  }

  @Test
  void aLeadingZeroASignOrARunOfDigitsIsRefusedLikeAnyOtherKnob() {
    for (String bad : new String[] {"090", "00090", "+90", "0", "36501", "99999", "000000090", " 90", ""}) {
      BootException e = assertThrows(BootException.class,
          () -> TelemetryStage.retentionDays(Map.of(TelemetryStage.RETENTION_DAYS, bad)), bad);
      assertEquals("PARAPET_RETENTION_DAYS: \"" + bad + "\" (expected: an integer 1..36500)", e.getMessage());
    }
  }
}
