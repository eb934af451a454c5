package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.parapet.runtime.boot.BootException;
import dev.parapet.runtime.upstream.UpstreamClient;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WiringTest {
  @Test
  void upstreamPoolSizeDefaultsAndCanBeRaised() throws Exception {
    assertEquals(UpstreamClient.DEFAULT_MAX_PER_ORIGIN, Wiring.maxPerOrigin(Map.of()));
    assertEquals(5256, Wiring.maxPerOrigin(Map.of(Wiring.UPSTREAM_MAX_PER_ORIGIN, "5256")));
  }

  @Test
  void aBadUpstreamPoolSizeIsABootErrorNamingTheVariable() {
    for (String bad : new String[] {"0", "-1", "64k", " 64", "", "1234567"}) {
      BootException e = assertThrows(BootException.class,
          () -> Wiring.maxPerOrigin(Map.of(Wiring.UPSTREAM_MAX_PER_ORIGIN, bad)), bad);
      assertEquals("PARAPET_UPSTREAM_MAX_PER_ORIGIN: \"" + bad + "\" (expected: an integer 1..999999)",
          e.getMessage());
    }
  }
}
