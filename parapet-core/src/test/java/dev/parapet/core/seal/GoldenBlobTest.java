package dev.parapet.core.seal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.Tenant;
import java.math.BigDecimal;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Pins format v1 byte for byte: derived keys, canonical JSON and the blob. If one of these
 * changes, blobs already deployed stop opening (or their checksums change): bump the format
 * version instead of editing the expected values.
 *
 * <p>When these values were recorded, the blob was also opened by an independent implementation
 * (Python: stdlib HMAC for HKDF per RFC 5869, {@code cryptography}'s AESGCM with the 30-byte
 * header as associated data), which is how we know the format matches its documentation and not
 * only this code.
 */
class GoldenBlobTest {
  private static MasterKey fixedKey() {
    byte[] raw = new byte[32];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = (byte) i;
    }
    return MasterKey.ofBytes(raw);
  }

  /** Not random at all: only so the blob is reproducible. */
  private static final SecureRandom FIXED_NONCE = new SecureRandom() {
    @Override
    public void nextBytes(byte[] bytes) {
      Arrays.fill(bytes, (byte) 7);
    }
  };

  private static HydratedConfig config() {
    ParapetSpec spec = new ParapetSpec(1,
        List.of(new Tenant("t", Optional.of(new BigDecimal("10.50")), Optional.empty())),
        List.of(new Route("r", "t",
            new ProviderSpec(ProviderType.ECHO, "echo", Optional.empty(), Optional.empty(),
                List.of(), Optional.empty(), 1000),
            new Policy(1, 1, BigDecimal.ONE, false, RedactionPolicy.OFF))),
        List.of(new Service("s", "t", List.of("r"), "S_TOKEN")),
        List.of());
    return new HydratedConfig(spec, Map.of(),
        Map.of("s", TokenDigest.of("s-token".getBytes(UTF_8))), Map.of());
  }

  @Test
  void derivedKeysArePinned() {
    try (MasterKey key = fixedKey()) {
      HexFormat hex = HexFormat.of();
      assertEquals(GOLDEN_BLOB_KEY, hex.formatHex(key.deriveKey(KeyPurpose.BLOB)));
      assertEquals(GOLDEN_STORE_KEY, hex.formatHex(key.deriveKey(KeyPurpose.STORE)));
    }
  }

  @Test
  void canonicalJsonAndBlobArePinned() throws SealException {
    assertEquals(GOLDEN_JSON, new String(CanonicalJson.write(config()), UTF_8));
    try (MasterKey key = fixedKey()) {
      assertEquals(GOLDEN_BLOB, Sealer.seal(config(), key, FIXED_NONCE));
      OpenedState opened = Sealer.open(GOLDEN_BLOB, key);
      assertEquals(GOLDEN_SHA256, opened.configSha256());
    }
  }

  private static final String GOLDEN_BLOB_KEY =
      "0fd80f7cc2f7efb674931326bc2f351e5dc91d3faa444cd46f6f25af6daf2610";
  private static final String GOLDEN_STORE_KEY =
      "b8552f05e8e997515436b11e4247b881072d2e4653c4639a538c17c8c2c7c706";
  private static final String GOLDEN_JSON =
      "{\"routes\":[{\"name\":\"r\""
          + ",\"policy\":{\"budget_daily_usd\":1,\"drift_strict\":false,\"max_tokens_in\":1,\"max_tokens_out\":1,\"redaction\":{\"mode\":\"off\",\"patterns\":[],\"scan_output\":false}}"
          + ",\"provider\":{\"model\":\"echo\",\"timeout_ms\":1000,\"type\":\"echo\"},\"tenant\":\"t\"}]"
          + ",\"secrets\":{\"password_hashes\":{},\"provider_keys\":{},\"service_token_digests\":{\"s\":\"sha256:ee4aac3484b5ac21511778dd75e90f672cb7261760c6cd273859017db99a6821\"}}"
          + ",\"services\":[{\"allowed_routes\":[\"r\"],\"label\":\"s\",\"parapet_token_ref\":\"S_TOKEN\",\"tenant\":\"t\"}]"
          + ",\"tenants\":[{\"name\":\"t\",\"spend\":{\"daily_usd_cap\":10.5}}],\"users\":[],\"version\":1}";
  private static final String GOLDEN_BLOB =
      "UFJQVAEB4FLmOoLfX8MHBwcHBwcHBwcHBwcAAAJRzbh30gZmc+bdwQ/1YQC0gZvLh0jDqhnYTnFihvrr22lZXQTCRJfIshAPSJ6pAAqROPAjR4rF1sFAGgowH8FmJAK7Plsn/he8Goh/Fj61fxvTE9ImLmbvpNaS0nz9GFKoQHha8KO6cbRhafUt5UgJU61hhpx0dmpXrn41AcyhzYotdl5MCu7Ed/YGmeq8uCC7a8i107AAGEk3uCBa4jFKyYANRGwWREQ1vh1O044IOeYgFD0seZYAZ2jeu+QAjnpH/mnksliMyNfusMTaU7YyTae98oUtSPEz2LSkh7fjrAZ3O/U5x75TmdlEQMa2Oo9FT1zVjZj66CEp9xY2cn46VvfFA9FBoGC1vi7tjDvvcanZpx3yUx/XKUOnWa+GM5XlA0gDNtLZOBoxUkXWolT8Mx53vH5+xIlyz3DDsNHnIStkQRrhS0vlMd8jpjiUl3GxM++NUupUtbfHaDPN/mXG++Tolun1KE2Ntc//Aeq4nIBTQCBYAkiZGnrXNLzE80Axe1cjmIMjOKbwbQg94K8qmqAGUfSJysQgra7PQRkiCjPBQypCgk0sxq+qpyQNp4JjiRfTaUdaPoTdzoV8Uf5NmUb+/Db64gissybpVA3VUxbYic3b4EEONPgEP4biPtQTml1lbDreuQWCY6r/djKKCvkQ02/k4+woIGeWS6UPFZXfgbTJsg/uvf+zjgSQh/af24eIIK+qTRv4H6UeJWnkireuBo7iqlXDevEPECTuFGV6Wr65w1bUBS14k0Kl10iH+MhTtKpiZuNag6vVub+zQ+Q=";
  private static final String GOLDEN_SHA256 =
      "22be97eb5bec2a28d005b66932fd1722a72f99199ab0e56eb58f834d2eea403e";
}
