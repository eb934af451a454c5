package dev.parapet.core.seal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * The blob opener under hostile input: whatever the bytes, {@link Sealer#open} either opens a
 * config or throws {@link SealException} — never another exception, never an Error. Three shapes
 * of input, chosen by the first byte: a raw string as the operator's environment would hold it; a
 * genuine blob with bytes patched and its tail cut (header, key check, length, nonce, tag); and
 * fuzzed plaintext sealed with the right key, which is the only way to reach the config reader
 * behind the AEAD.
 *
 * <p>Seeds replay in the normal build; {@code JAZZER_FUZZ=1 ./mvnw -pl parapet-core test
 * -Dtest=SealerFuzzTest} fuzzes.
 */
class SealerFuzzTest {
  private static final MasterKey KEY = MasterKey.fromBase64(
      Base64.getEncoder().encodeToString("parapet-fuzz-master-key-32bytes!".getBytes(StandardCharsets.US_ASCII)));
  private static final byte[] GENUINE =
      Base64.getDecoder().decode(Sealer.seal(Fixtures.hydrated(), KEY, new SecureRandom()));

  @FuzzTest
  void opensOrRefusesWithASealException(byte[] input) {
    if (input.length == 0) {
      return;
    }
    byte[] rest = Arrays.copyOfRange(input, 1, input.length);
    String blob = switch (Math.floorMod(input[0], 3)) {
      case 0 -> new String(rest, StandardCharsets.ISO_8859_1);
      case 1 -> Base64.getEncoder().encodeToString(patched(rest));
      default -> Sealer.sealBytes(rest, KEY, new SecureRandom());
    };
    try {
      OpenedState opened = Sealer.open(blob, KEY);
      assertNotNull(opened.config());
      assertEquals(64, opened.configSha256().length());
    } catch (SealException e) {
      assertNotNull(e.reason());
      assertNotNull(e.getMessage());
    } catch (RuntimeException | Error e) {
      fail("Sealer.open threw " + e, e);
    }
  }

  /** The genuine blob with (offset, xor) pairs applied, then cut to a length the input picks. */
  private static byte[] patched(byte[] edits) {
    byte[] b = GENUINE.clone();
    int i = 0;
    for (; i + 2 < edits.length && i < 48; i += 3) {
      int at = ((edits[i] & 0xff) << 8 | (edits[i + 1] & 0xff)) % b.length;
      b[at] ^= edits[i + 2] == 0 ? 1 : edits[i + 2];
    }
    if (i < edits.length && (edits[i] & 1) == 1) {
      int cut = (edits[i] & 0xff) * b.length / 256;
      b = Arrays.copyOf(b, cut);
    }
    return b;
  }
}
