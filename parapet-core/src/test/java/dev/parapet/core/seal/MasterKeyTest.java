package dev.parapet.core.seal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MasterKeyTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void hkdfWiringMatchesRfc5869TestCase1() {
    byte[] okm = MasterKey.hkdfSha256(
        HEX.parseHex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"),
        HEX.parseHex("000102030405060708090a0b0c"),
        HEX.parseHex("f0f1f2f3f4f5f6f7f8f9"),
        42);
    assertEquals("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
        + "34007208d5b887185865", HEX.formatHex(okm));
  }

  @Test
  void everyPurposeGetsItsOwnDeterministicKey() {
    byte[] raw = new byte[32];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = (byte) i;
    }
    try (MasterKey a = MasterKey.ofBytes(raw); MasterKey b = MasterKey.ofBytes(raw)) {
      Set<String> seen = new HashSet<>();
      for (KeyPurpose purpose : KeyPurpose.values()) {
        byte[] k = a.deriveKey(purpose);
        assertEquals(32, k.length);
        assertArrayEquals(k, b.deriveKey(purpose), purpose + " must be deterministic");
        assertTrue(seen.add(HEX.formatHex(k)), purpose + " must differ from the others");
        assertFalse(HEX.formatHex(k).equals(HEX.formatHex(raw)), "never the master key itself");
      }
    }
  }

  @Test
  void differentMasterKeysDeriveDifferentKeys() {
    try (MasterKey a = Fixtures.key(); MasterKey b = Fixtures.key()) {
      assertFalse(HEX.formatHex(a.deriveKey(KeyPurpose.BLOB))
          .equals(HEX.formatHex(b.deriveKey(KeyPurpose.BLOB))));
    }
  }

  @Test
  void base64RoundTripIgnoresSurroundingWhitespace() {
    try (MasterKey key = Fixtures.key()) {
      String text = key.toBase64();
      assertEquals(32, Base64.getDecoder().decode(text).length);
      try (MasterKey back = MasterKey.fromBase64("  " + text + "\n")) {
        assertArrayEquals(key.deriveKey(KeyPurpose.STORE), back.deriveKey(KeyPurpose.STORE));
      }
    }
  }

  @Test
  void badInputIsNamedButNeverEchoed() {
    String notBase64 = "CANARY-not*base64*value";
    var e1 = assertThrows(IllegalArgumentException.class, () -> MasterKey.fromBase64(notBase64));
    assertEquals("PARAPET_MASTER_KEY: not valid base64", e1.getMessage());
    assertEquals(null, e1.getCause());

    String shortKey = Base64.getEncoder().encodeToString("CANARY-31-bytes-long-secret-key".getBytes());
    var e2 = assertThrows(IllegalArgumentException.class, () -> MasterKey.fromBase64(shortKey));
    assertEquals("PARAPET_MASTER_KEY: expected base64 of 32 bytes, got 31 bytes", e2.getMessage());

    var e3 = assertThrows(IllegalArgumentException.class, () -> MasterKey.fromBase64("   "));
    assertEquals("PARAPET_MASTER_KEY: expected base64 of 32 bytes, got 0 bytes", e3.getMessage());
  }

  @Test
  void closeZeroesAndForbidsFurtherUse() {
    MasterKey key = Fixtures.key();
    String text = key.toBase64();
    assertFalse(key.toString().contains(text));
    key.close();
    assertTrue(key.isClosed());
    assertThrows(IllegalStateException.class, () -> key.deriveKey(KeyPurpose.BLOB));
    assertThrows(IllegalStateException.class, key::toBase64);
    key.close(); // idempotent
    assertEquals("MasterKey[closed]", key.toString());
  }
}
