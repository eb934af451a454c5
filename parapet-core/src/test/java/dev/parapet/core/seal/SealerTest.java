package dev.parapet.core.seal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.seal.SealException.Reason;
import org.junit.jupiter.api.Test;

class SealerTest {
  @Test
  void roundTripGivesTheSameConfigAndChecksum() throws Exception {
    HydratedConfig config = Fixtures.hydrated();
    try (MasterKey key = Fixtures.key()) {
      String blob = Sealer.seal(config, key, Fixtures.RANDOM);
      OpenedState opened = Sealer.open(blob, key);
      assertArrayEquals(CanonicalJson.write(config), CanonicalJson.write(opened.config()));
      assertEquals(Sealer.configSha256(config), opened.configSha256());
      assertEquals(Fixtures.OPENAI_KEY, opened.config().providerKeys().get("OPENAI_KEY_PROD").reveal());
    }
  }

  @Test
  void twoSealsDifferInBytesButNotInChecksum() throws Exception {
    HydratedConfig config = Fixtures.hydrated();
    try (MasterKey key = Fixtures.key()) {
      String a = Sealer.seal(config, key, Fixtures.RANDOM);
      String b = Sealer.seal(config, key, Fixtures.RANDOM);
      assertNotEquals(a, b);
      assertEquals(Sealer.open(a, key).configSha256(), Sealer.open(b, key).configSha256());
    }
  }

  @Test
  void wrongKeyIsReportedAsSuch() {
    String blob;
    try (MasterKey key = Fixtures.key()) {
      blob = Sealer.seal(Fixtures.hydrated(), key, Fixtures.RANDOM);
    }
    try (MasterKey other = Fixtures.key()) {
      SealException e = assertThrows(SealException.class, () -> Sealer.open(blob, other));
      assertEquals(Reason.WRONG_KEY, e.reason());
      assertTrue(e.getMessage().contains("does not open this blob"), e.getMessage());
    }
  }
}
