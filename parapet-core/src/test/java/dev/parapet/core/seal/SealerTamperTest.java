package dev.parapet.core.seal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.seal.SealException.Reason;
import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every way a blob can be damaged maps to one reason, and never to an unexpected exception. */
class SealerTamperTest {
  private final MasterKey key = Fixtures.key();

  @AfterEach
  void closeKey() {
    key.close();
  }

  /** A small config (no users, so no Argon2id) to keep the byte-by-byte loops fast. */
  private static HydratedConfig small() {
    ParapetSpec spec = new ParapetSpec(1,
        List.of(new Tenant("t", Optional.empty(), Optional.empty())),
        List.of(new Route("r", "t",
            new ProviderSpec(ProviderType.ECHO, "echo", Optional.empty(), Optional.empty(),
                List.of(), Optional.empty(), 1000),
            new Policy(1, 1, BigDecimal.ONE, false, RedactionPolicy.OFF))),
        List.of(new Service("s", "t", List.of("r"), "S_TOKEN")),
        List.of());
    return new HydratedConfig(spec, Map.of(),
        Map.of("s", TokenDigest.of(Fixtures.TOKEN_A.getBytes(UTF_8))), Map.of());
  }

  private byte[] blob() {
    return Base64.getDecoder().decode(Sealer.seal(small(), key, Fixtures.RANDOM));
  }

  private Reason reasonOf(byte[] blob) {
    try {
      Sealer.open(Base64.getEncoder().encodeToString(blob), key);
    } catch (SealException e) {
      assertFalse(e.getMessage().isBlank());
      assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
      assertEquals(0, e.getStackTrace().length, "expected failures carry no stack trace");
      return e.reason();
    } catch (RuntimeException e) {
      fail("unexpected exception for a damaged blob", e);
    }
    return null;
  }

  @Test
  void untouchedBlobOpens() {
    assertEquals(null, reasonOf(blob()));
  }

  @Test
  void flippingAnyByteIsCaughtWithTheReasonOfItsRegion() {
    byte[] good = blob();
    for (int mask : new int[] {0x01, 0x80, 0xff}) {
      for (int i = 0; i < good.length; i++) {
        byte[] bad = good.clone();
        bad[i] ^= (byte) mask;
        Reason r = reasonOf(bad);
        Set<Reason> expected = expectedFor(i);
        assertTrue(expected.contains(r), "byte " + i + " ^ " + mask + ": " + r + " not in " + expected);
      }
    }
  }

  private static Set<Reason> expectedFor(int offset) {
    if (offset < Sealer.OFFSET_VERSION) {
      return EnumSet.of(Reason.MALFORMED);
    } else if (offset == Sealer.OFFSET_VERSION) {
      return EnumSet.of(Reason.UNKNOWN_VERSION);
    } else if (offset == Sealer.OFFSET_ALGORITHM) {
      return EnumSet.of(Reason.UNKNOWN_ALGORITHM);
    } else if (offset < Sealer.OFFSET_NONCE) {
      return EnumSet.of(Reason.WRONG_KEY);
    } else if (offset < Sealer.OFFSET_LENGTH) {
      return EnumSet.of(Reason.TAMPERED);
    } else if (offset < Sealer.HEADER_LENGTH) {
      return EnumSet.of(Reason.TRUNCATED, Reason.TAMPERED);
    }
    return EnumSet.of(Reason.TAMPERED);
  }

  @Test
  void truncationAtEveryLengthIsReported() {
    byte[] good = blob();
    for (int n = 0; n < good.length; n++) {
      Reason r = reasonOf(Arrays.copyOf(good, n));
      Reason expected = n < Sealer.MAGIC.length ? Reason.MALFORMED : Reason.TRUNCATED;
      assertEquals(expected, r, "length " + n);
    }
  }

  @Test
  void trailingBytesAreTampering() {
    byte[] good = blob();
    assertEquals(Reason.TAMPERED, reasonOf(Arrays.copyOf(good, good.length + 1)));
  }

  @Test
  void unknownVersionSaysWhichAndWhatThisRuntimeReads() {
    byte[] bad = blob();
    bad[Sealer.OFFSET_VERSION] = 2;
    SealException e = assertThrows(SealException.class,
        () -> Sealer.open(Base64.getEncoder().encodeToString(bad), key));
    assertEquals(Reason.UNKNOWN_VERSION, e.reason());
    assertTrue(e.getMessage().contains("version 2"), e.getMessage());
    assertTrue(e.getMessage().contains("reads version 1"), e.getMessage());
    // A future version is reported as such even when its header is shorter than ours.
    assertEquals(Reason.UNKNOWN_VERSION, reasonOf(Arrays.copyOf(bad, 5)));
  }

  @Test
  void notBase64IsMalformed() {
    for (String text : List.of("", "   ", "not base64!", "UFJQVA=x", "UFJQ\nVA==", "%%%%")) {
      SealException e = assertThrows(SealException.class, () -> Sealer.open(text, key), text);
      assertEquals(Reason.MALFORMED, e.reason(), text);
    }
    assertEquals(Reason.MALFORMED, reasonOf("GARBAGE!".getBytes(UTF_8)));
  }

  @Test
  void surroundingWhitespaceIsIgnored() throws SealException {
    String blob = Sealer.seal(small(), key, Fixtures.RANDOM);
    Sealer.open(" \t" + blob + "\r\n", key);
  }

  @Test
  void decryptedGarbageIsInvalidConfigWithoutQuotingIt() {
    String canary = Fixtures.OPENAI_KEY;
    List<String> plaintexts = List.of(
        "{\"k\":\"" + canary + "\"",          // not JSON
        "[\"" + canary + "\"]",               // not an object
        "{\"version\":1} \"" + canary + "\"", // trailing tokens
        "{}",
        canary);
    for (String p : plaintexts) {
      String blob = Sealer.sealBytes(p.getBytes(UTF_8), key, Fixtures.RANDOM);
      SealException e = assertThrows(SealException.class, () -> Sealer.open(blob, key), p);
      assertEquals(Reason.INVALID_CONFIG, e.reason(), p);
      assertFalse(e.getMessage().contains(canary), e.getMessage());
      assertEquals(null, e.getCause(), "Jackson's messages quote the input; never chained");
    }
  }

  @Test
  void nonCanonicalPlaintextIsRefusedSoTheChecksumAlwaysDescribesTheConfig() {
    String canonical = new String(CanonicalJson.write(small()), UTF_8);
    String spaced = canonical.replace(",", ", ");
    String blob = Sealer.sealBytes(spaced.getBytes(UTF_8), key, Fixtures.RANDOM);
    SealException e = assertThrows(SealException.class, () -> Sealer.open(blob, key));
    assertEquals(Reason.INVALID_CONFIG, e.reason());
  }
}
