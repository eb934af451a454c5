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

  @Test
  void sealRefusesAConfigThatWouldNotOpen() {
    HydratedConfig full = Fixtures.hydrated();
    var digests = new java.util.HashMap<>(full.serviceTokenDigests());
    digests.remove("service-b");
    HydratedConfig incomplete =
        new HydratedConfig(full.spec(), full.providerKeys(), digests, full.passwordHashes());
    try (MasterKey key = Fixtures.key()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Sealer.seal(incomplete, key, Fixtures.RANDOM));
      assertEquals("sealed config: $.secrets.service_token_digests: missing the entry for service"
          + " service-b", e.getMessage());
    }
  }

  @Test
  void serviceForTokenFindsTheServiceByItsToken() {
    HydratedConfig c = Fixtures.hydrated();
    assertEquals("service-a", c.serviceForToken(
        Fixtures.TOKEN_A.getBytes(java.nio.charset.StandardCharsets.UTF_8)).orElseThrow().label());
    assertEquals("service-b", c.serviceForToken(
        Fixtures.TOKEN_B.getBytes(java.nio.charset.StandardCharsets.UTF_8)).orElseThrow().label());
    assertTrue(c.serviceForToken(new byte[0]).isEmpty());
    assertTrue(c.serviceForToken(
        Fixtures.OPENAI_KEY.getBytes(java.nio.charset.StandardCharsets.UTF_8)).isEmpty());
  }
}
