package dev.parapet.core.seal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class TokenDigestTest {
  @Test
  void digestIsDomainSeparatedSha256() {
    byte[] token = "service-a-token".getBytes(UTF_8);
    var sha = TokenDigest.sha256();
    sha.update("parapet/v1/service-token\0".getBytes(UTF_8));
    String expected = "sha256:" + HexFormat.of().formatHex(sha.digest(token));
    assertEquals(expected, TokenDigest.of(token));
    assertEquals(expected, TokenDigest.of(token.clone()), "deterministic");
    assertNotEquals(expected,
        "sha256:" + HexFormat.of().formatHex(TokenDigest.sha256().digest(token)),
        "not a bare SHA-256");
    assertTrue(TokenDigest.isWellFormed(expected));
  }

  @Test
  void matchesOnlyTheRightToken() {
    String stored = TokenDigest.of(Fixtures.TOKEN_A.getBytes(UTF_8));
    assertTrue(TokenDigest.matches(Fixtures.TOKEN_A.getBytes(UTF_8), stored));
    assertFalse(TokenDigest.matches(Fixtures.TOKEN_B.getBytes(UTF_8), stored));
    assertFalse(TokenDigest.matches(new byte[0], stored));
    assertFalse(TokenDigest.matches((Fixtures.TOKEN_A + " ").getBytes(UTF_8), stored));
  }

  @Test
  void malformedStoredDigestNeverMatches() {
    byte[] token = Fixtures.TOKEN_A.getBytes(UTF_8);
    String stored = TokenDigest.of(token);
    assertFalse(TokenDigest.matches(token, stored.toUpperCase()));
    assertFalse(TokenDigest.matches(token, stored.substring(7)));
    assertFalse(TokenDigest.matches(token, stored + "0"));
    assertFalse(TokenDigest.matches(token, ""));
    assertFalse(TokenDigest.matches(token, null));
    assertFalse(TokenDigest.matches(null, stored));
  }
}
