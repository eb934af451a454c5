package dev.parapet.runtime.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The one rule every bounded integer knob follows (Settings, Wiring's pool knobs, retention). */
class IntegerKnobTest {
  private static long read(String value, long min, long max) throws BootException {
    return IntegerKnob.read(Map.of("PARAPET_X", value), "PARAPET_X", 7, min, max);
  }

  @Test
  void unsetIsTheDefaultAndPlainDecimalsAtAndInsideTheBoundsAreRead() throws Exception {
    assertEquals(7, IntegerKnob.read(Map.of(), "PARAPET_X", 7, 0, 65_535));
    assertEquals(0, read("0", 0, 65_535));
    assertEquals(65_535, read("65535", 0, 65_535));
    assertEquals(8000, read("8000", 0, 65_535));
    assertEquals(8L << 30, read("8589934592", 1, 8L << 30));
    assertEquals(10, read("10", 10, 10));
  }

  @Test
  void anythingElseIsOneLineNamingTheVariableAndTheRange() {
    String[] bad = {"", " 80", "80 ", "+80", "-1", "-0", "08000", "00", "0080", "1e3", "80ms", "8_000", "0x50",
        "\u0668\u0660", "65536", "99999999999999999999", "000000000000000000000000000000080", "8000\n"};
    for (String v : bad) {
      BootException e = assertThrows(BootException.class, () -> read(v, 0, 65_535), v);
      assertEquals(1, e.getMessage().lines().count(), e.getMessage());
      assertEquals("PARAPET_X: " + dev.parapet.core.config.Quoting.quote(v) + " (expected: an integer 0..65535)",
          e.getMessage());
    }
    BootException below = assertThrows(BootException.class, () -> read("99", 100, 600_000));
    assertEquals("PARAPET_X: \"99\" (expected: an integer 100..600000)", below.getMessage());
  }

  @Test
  void everyKnobOfSettingsTakesTheSameRule() {
    for (String name : new String[] {"PARAPET_PORT", "PARAPET_MAX_BODY_BYTES", "PARAPET_SHUTDOWN_GRACE_MS",
        "PARAPET_MAX_CONNECTIONS", "PARAPET_IDLE_TIMEOUT_MS", "PARAPET_WORKER_THREADS", "PARAPET_HEAD_TIMEOUT_MS",
        "PARAPET_MIN_BODY_RATE", "PARAPET_MAX_BUFFERED_BODY_BYTES", "PARAPET_BODY_TIMEOUT_MS",
        "PARAPET_SHUTDOWN_DELAY_MS"}) {
      BootException e = assertThrows(BootException.class, () -> Settings.fromEnv(
          Map.of("PARAPET_BOOTSTRAP_STATE", "x", "PARAPET_MASTER_KEY", "y", name, "0100000000")), name);
      assertEquals(name + ": \"0100000000\"", e.getMessage().substring(0, e.getMessage().indexOf(" (")));
    }
  }
}
