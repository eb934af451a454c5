package dev.parapet.core.seal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Plants canary secrets and asserts none appears in anything a person or a log could see. */
class SecretLeakTest {
  @Test
  void noCanaryInAnyToStringMessageOrBlob() throws Exception {
    List<String> visible = new ArrayList<>();
    Hydration h = Hydrator.hydrate(Fixtures.spec(), Fixtures.source(Fixtures.secrets()));
    visible.add(h.toString());
    visible.add(h.config().toString());
    visible.add(h.config().providerKeys().toString());
    visible.add(h.config().spec().toString());

    try (MasterKey key = Fixtures.key(); MasterKey other = Fixtures.key()) {
      visible.add(key.toString());
      String blob = Sealer.seal(h.config(), key, Fixtures.RANDOM);
      visible.add(blob);
      visible.add(new String(Base64.getDecoder().decode(blob), UTF_8));
      OpenedState opened = Sealer.open(blob, key);
      visible.add(opened.toString());
      visible.add(opened.config().toString());
      visible.add(assertThrows(SealException.class, () -> Sealer.open(blob, other)).getMessage());
      byte[] raw = Base64.getDecoder().decode(blob);
      raw[raw.length - 1] ^= 1;
      visible.add(assertThrows(SealException.class,
          () -> Sealer.open(Base64.getEncoder().encodeToString(raw), key)).getMessage());
      assertFalse(String.join("\n", visible).contains(key.toBase64()), "the master key leaked");
    }
    visible.add(assertThrows(MissingSecretsException.class, () -> Hydrator.hydrate(Fixtures.spec(),
        ref -> ref.startsWith("SERVICE") ? Optional.of(Fixtures.TOKEN_A.toCharArray())
            : Optional.of(Fixtures.secrets().get(ref).toCharArray()))).toString());

    String all = String.join("\n", visible);
    for (String canary : Fixtures.CANARIES) {
      assertFalse(all.contains(canary), "leaked " + canary.substring(0, 7) + "…");
    }
    assertFalse(all.contains("CANARY"), all);
    // Tokens and passwords are not recoverable even from the plaintext: only digests and hashes.
    String plaintext = new String(CanonicalJson.write(h.config()), UTF_8);
    for (String s : List.of(Fixtures.TOKEN_A, Fixtures.TOKEN_B, Fixtures.PW_TRIP, Fixtures.PW_FINANCE)) {
      assertFalse(plaintext.contains(s));
    }
    assertTrue(plaintext.contains(Fixtures.OPENAI_KEY), "provider keys are inside the blob, by design");
  }
}
