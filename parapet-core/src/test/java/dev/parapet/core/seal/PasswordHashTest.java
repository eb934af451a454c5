package dev.parapet.core.seal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class PasswordHashTest {
  // One hash per JVM for the fixture password: Argon2id at m=19 MiB costs tens of milliseconds.
  private static final String TRIP = Fixtures.hydrated().passwordHashes().get("trip");

  @Test
  void hashIsPhcArgon2idWithTheOwaspMinimumAndTheDerivedSalt() {
    String salt = Base64.getEncoder().withoutPadding().encodeToString(PasswordHash.saltFor("trip"));
    assertTrue(TRIP.startsWith("$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$"), TRIP);
    String hash = TRIP.substring(TRIP.lastIndexOf('$') + 1);
    assertEquals(32, Base64.getDecoder().decode(hash).length);
    assertFalse(hash.contains("=") || salt.contains("="), "unpadded base64");
    assertTrue(PasswordHash.isWellFormed(TRIP));
  }

  @Test
  void sameInputsGiveTheSameHashAndUsernamesSaltIt() {
    assertEquals(TRIP, PasswordHash.hash(Fixtures.PW_TRIP.toCharArray(), "trip"));
    assertNotEquals(TRIP, PasswordHash.hash(Fixtures.PW_TRIP.toCharArray(), "trip2"));
  }

  @Test
  void unmatchableHasARealHashsShapeAndParametersButNoPasswordMatchesIt() {
    String dummy = PasswordHash.unmatchable("trip", new java.security.SecureRandom());
    // Everything up to the hash part is what a real hash of that user has: same cost to verify.
    assertEquals(TRIP.substring(0, TRIP.lastIndexOf('$') + 1), dummy.substring(0, dummy.lastIndexOf('$') + 1));
    assertEquals(TRIP.length(), dummy.length());
    assertTrue(PasswordHash.isWellFormed(dummy));
    assertFalse(PasswordHash.verify(Fixtures.PW_TRIP.toCharArray(), dummy));
    assertFalse(PasswordHash.verify(new char[0], dummy));
    assertNotEquals(dummy, PasswordHash.unmatchable("trip", new java.security.SecureRandom()));
  }

  @Test
  void verifiesTheRightPasswordOnly() {
    assertTrue(PasswordHash.verify(Fixtures.PW_TRIP.toCharArray(), TRIP));
    assertFalse(PasswordHash.verify(Fixtures.PW_FINANCE.toCharArray(), TRIP));
    assertFalse(PasswordHash.verify(new char[0], TRIP));
    assertTrue(PasswordHash.verifyUtf8(Fixtures.PW_TRIP.getBytes(java.nio.charset.StandardCharsets.UTF_8), TRIP));
    assertFalse(PasswordHash.verifyUtf8(Fixtures.PW_FINANCE.getBytes(java.nio.charset.StandardCharsets.UTF_8), TRIP));
  }

  @Test
  void verifiesAHashFromTheReferenceImplementation() {
    // phc-winner-argon2 test.c, Argon2id v=19, t=2, m=2^16, p=1, "password" / "somesalt".
    String reference = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$"
        + "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
    assertTrue(PasswordHash.verify("password".toCharArray(), reference));
    assertFalse(PasswordHash.verify("Password".toCharArray(), reference));
  }

  @Test
  void nonAsciiPasswordsAreHashedAsUtf8() {
    String pw = "pässwörd-日本語-✓";
    String phc = PasswordHash.hash(pw.toCharArray(), "finance");
    assertTrue(PasswordHash.verifyUtf8(pw.getBytes(java.nio.charset.StandardCharsets.UTF_8), phc));
    assertTrue(PasswordHash.verify(pw.toCharArray(), phc));
    assertFalse(PasswordHash.verifyUtf8(pw.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), phc));
  }

  @Test
  void malformedOrOutOfBoundsHashesAreFalseNeverExceptions() {
    char[] pw = Fixtures.PW_TRIP.toCharArray();
    String params = "$argon2id$v=19$m=19456,t=2,p=1$";
    String tail = TRIP.substring(params.length());
    String[] bad = {
      "",
      "argon2id",
      TRIP.replace("argon2id", "argon2i"),
      TRIP.replace("argon2id", "argon2d"),
      TRIP.replace("v=19", "v=16"),
      TRIP.replace("m=19456", "m=2000000"), // above 1 GiB
      TRIP.replace("m=19456", "m=4"), // below 8 * p
      TRIP.replace("m=19456", "m=019456"),
      TRIP.replace("t=2", "t=0"),
      TRIP.replace("t=2", "t=100000"),
      TRIP.replace("p=1", "p=0"),
      TRIP.replace("p=1", "p=99999999999"),
      TRIP.replace(",t=2,p=1", ",p=1,t=2"),
      "$argon2id$v=19$m=19456,t=2,p=1$" + tail.replace('$', '!'),
      TRIP + "=",
      TRIP + "$",
      TRIP + "\n",
      " " + TRIP,
      params + "QUFBQUFBQUFBQUFBQUFBQQ==$" + tail.substring(tail.indexOf('$') + 1), // padded salt
      params + "AAAA$" + tail.substring(tail.indexOf('$') + 1), // salt too short
      params + tail.substring(0, tail.indexOf('$') + 1) + "AAAAAAAA", // hash too short
      params + tail.substring(0, tail.indexOf('$') + 1) + "A".repeat(129),
      TRIP.substring(0, TRIP.length() - 1) + "B", // last char has stray low bits or differs
      "$argon2id$v=19$m=19456,t=2,p=1$$",
    };
    for (String phc : bad) {
      assertFalse(PasswordHash.verify(pw, phc), phc);
      assertFalse(PasswordHash.isWellFormed(phc), phc);
    }
    assertFalse(PasswordHash.verify(pw, null));
    assertFalse(PasswordHash.verify((char[]) null, TRIP));
    assertFalse(PasswordHash.verifyUtf8(null, TRIP));
    assertFalse(PasswordHash.verifyUtf8(new byte[] {1}, "$argon2id$v=19$m=1048577,t=1,p=1$"
        + "AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA"));
  }
}
