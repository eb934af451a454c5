package dev.parapet.core.seal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Service;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HydratorTest {
  /** A source that remembers every array it handed out, to check they were zeroed. */
  private static final class RecordingSource implements SecretSource {
    final Map<String, String> values;
    final List<char[]> handedOut = new ArrayList<>();

    RecordingSource(Map<String, String> values) {
      this.values = values;
    }

    @Override
    public Optional<char[]> resolve(String ref) {
      String v = values.get(ref);
      if (v == null) {
        return Optional.empty();
      }
      char[] out = v.toCharArray();
      handedOut.add(out);
      return Optional.of(out);
    }

    void assertAllZeroed() {
      for (char[] a : handedOut) {
        for (char c : a) {
          assertEquals('\0', c, "every resolved value is zeroed after use");
        }
      }
    }
  }

  @Test
  void hydratesKeysDigestsAndHashesAndZeroesWhatItWasGiven() throws Exception {
    RecordingSource source = new RecordingSource(Fixtures.secrets());
    Hydration h = Hydrator.hydrate(Fixtures.spec(), source);
    HydratedConfig c = h.config();
    assertEquals(Fixtures.OPENAI_KEY, c.providerKeys().get("OPENAI_KEY_PROD").reveal());
    assertEquals(Fixtures.ANTHROPIC_KEY, c.providerKeys().get("ANTHROPIC_KEY").reveal());
    assertEquals(2, c.providerKeys().size());
    assertTrue(TokenDigest.matches(Fixtures.TOKEN_A.getBytes(UTF_8), c.serviceTokenDigests().get("service-a")));
    assertTrue(TokenDigest.matches(Fixtures.TOKEN_B.getBytes(UTF_8), c.serviceTokenDigests().get("service-b")));
    assertTrue(PasswordHash.verify(Fixtures.PW_TRIP.toCharArray(), c.passwordHashes().get("trip")));
    assertEquals(List.of(), h.warnings());
    assertEquals(6, source.handedOut.size());
    source.assertAllZeroed();
    // Hydrating twice gives the same checksum: the salt is derived, digests are deterministic.
    assertEquals(Sealer.configSha256(Fixtures.hydrated()), Sealer.configSha256(c));
  }

  @Test
  void reportsEveryMissingRefAtOnceInSpecOrder() {
    Map<String, String> some = new java.util.HashMap<>(Fixtures.secrets());
    some.remove("ANTHROPIC_KEY");
    some.put("SERVICE_B_TOKEN", "");
    some.put("PARAPET_FINANCE_PW", "  \t");
    RecordingSource source = new RecordingSource(some);
    MissingSecretsException e = assertThrows(MissingSecretsException.class,
        () -> Hydrator.hydrate(Fixtures.spec(), source));
    assertEquals(List.of("ANTHROPIC_KEY", "SERVICE_B_TOKEN", "PARAPET_FINANCE_PW"), e.missing());
    assertEquals(List.of(), e.conflicts());
    assertEquals("missing secrets: ANTHROPIC_KEY, SERVICE_B_TOKEN, PARAPET_FINANCE_PW", e.getMessage());
    assertEquals(0, e.getStackTrace().length);
    source.assertAllZeroed();

    MissingSecretsException all = assertThrows(MissingSecretsException.class,
        () -> Hydrator.hydrate(Fixtures.spec(), ref -> Optional.empty()));
    assertEquals(Fixtures.spec().secretRefs(), all.missing());
    assertEquals(6, all.problems().size());
  }

  @Test
  void refusesTwoServicesWithOneTokenAndTokensThatArePoviderKeys() {
    Map<String, String> s = new java.util.HashMap<>(Fixtures.secrets());
    s.put("SERVICE_B_TOKEN", Fixtures.TOKEN_A);
    s.remove("PARAPET_ADMIN_TRIP_PW");
    MissingSecretsException e = assertThrows(MissingSecretsException.class,
        () -> Hydrator.hydrate(Fixtures.spec(), Fixtures.source(s)));
    assertEquals(List.of("PARAPET_ADMIN_TRIP_PW"), e.missing(), "reported together with conflicts");
    assertEquals(List.of("services service-a (SERVICE_A_TOKEN) and service-b (SERVICE_B_TOKEN)"
        + " have the same token; give each service its own"), e.conflicts());

    Map<String, String> k = new java.util.HashMap<>(Fixtures.secrets());
    k.put("SERVICE_A_TOKEN", Fixtures.OPENAI_KEY);
    e = assertThrows(MissingSecretsException.class,
        () -> Hydrator.hydrate(Fixtures.spec(), Fixtures.source(k)));
    assertEquals(List.of("SERVICE_A_TOKEN has the same value as the provider key OPENAI_KEY_PROD;"
        + " a service token must not be a provider key"), e.conflicts());
    for (String canary : Fixtures.CANARIES) {
      assertFalse(e.getMessage().contains(canary));
    }
  }

  @Test
  void refusesASharedTokenRefAndARefUsedAsBothTokenAndKey() {
    ParapetSpec base = Fixtures.spec();
    ParapetSpec shared = new ParapetSpec(1, base.tenants(), base.routes(),
        List.of(base.services().get(0),
            new Service("service-b", "lab", List.of("echo-demo"), "SERVICE_A_TOKEN")),
        base.users());
    MissingSecretsException e = assertThrows(MissingSecretsException.class,
        () -> Hydrator.hydrate(shared, Fixtures.source(Fixtures.secrets())));
    assertEquals(List.of("services service-a and service-b share the token ref SERVICE_A_TOKEN;"
        + " give each service its own token"), e.conflicts());

    ParapetSpec keyAsToken = new ParapetSpec(1, base.tenants(), base.routes(),
        List.of(base.services().get(0),
            new Service("service-b", "lab", List.of("echo-demo"), "ANTHROPIC_KEY")),
        base.users());
    e = assertThrows(MissingSecretsException.class,
        () -> Hydrator.hydrate(keyAsToken, Fixtures.source(Fixtures.secrets())));
    assertEquals(List.of("ANTHROPIC_KEY is used both as a service token and as a provider key;"
        + " a service token must not be a provider key"), e.conflicts());
  }

  @Test
  void warnsAboutShortTokensAndPasswordsByNameAndLength() throws Exception {
    Map<String, String> s = new java.util.HashMap<>(Fixtures.secrets());
    s.put("SERVICE_A_TOKEN", "CANARY6tok6");
    s.put("PARAPET_FINANCE_PW", "CANARY7pw");
    s.put("ANTHROPIC_KEY", Fixtures.ANTHROPIC_KEY + " ");
    Hydration h = Hydrator.hydrate(Fixtures.spec(), Fixtures.source(s));
    assertEquals(List.of(
        "SERVICE_A_TOKEN is 11 characters; use at least 32 random characters",
        "PARAPET_FINANCE_PW is 9 characters; use at least 12",
        "ANTHROPIC_KEY starts or ends with whitespace; it is used exactly as given"),
        h.warnings());
    assertFalse(h.toString().contains("CANARY"), h.toString());
  }

  /**
   * The gateway takes a bearer token of 1 to 512 visible ASCII characters (RFC 9110 §11.4): a
   * token with a space, a control or non-ASCII character, or past 512 characters can never be
   * presented, so its service would be locked out. Refused at build, naming the ref only.
   */
  @Test
  void refusesServiceTokensNoCallerCouldPresent() {
    String visible512 = "CANARY" + "x".repeat(506);
    for (String token : List.of(
        "CANARY9tok with-a-space-0123456789abcdef",
        "CANARY9tok-\u00e4-0123456789abcdefghijklmnop",
        "CANARY9tok-0123456789abcdefghijklmnopqrst\n",
        visible512 + "y")) {
      assertRefusedAlone("SERVICE_B_TOKEN", token, "SERVICE_B_TOKEN cannot be sent as a bearer token"
          + " (expected: 1 to 512 visible ASCII characters, no spaces or control characters);"
          + " the value is not shown");
    }
    Map<String, String> longest = new java.util.HashMap<>(Fixtures.secrets());
    longest.put("SERVICE_B_TOKEN", visible512.replace('x', '~'));
    assertEquals(List.of(), assertDoesNotThrow(
        () -> Hydrator.hydrate(Fixtures.spec(), Fixtures.source(longest))).warnings());
  }

  /**
   * A provider key goes into a request header; Netty refuses a header value with a control
   * character, so a key ending in a newline (a quoted "\n" in a dotenv file) failed every call
   * of its route as a 502. Refused at build, naming the ref only.
   */
  @Test
  void refusesProviderKeysThatCannotBeSentInAHeader() {
    for (String key : List.of(
        "sk-CANARY8key-0123456789abcdef\n", "sk-CANARY8key\r\nx-evil: 1", "sk-CANARY8\u0000key",
        "sk-CANARY8key-\u00e9t\u00e9", "\tsk-CANARY8key")) {
      assertRefusedAlone("ANTHROPIC_KEY", key, "ANTHROPIC_KEY cannot be sent in a request header"
          + " (expected: printable ASCII, no control characters such as a line break);"
          + " the value is not shown");
    }
  }

  /** Hydrating with {@code ref} set to {@code value} fails with exactly {@code conflict}. */
  private static void assertRefusedAlone(String ref, String value, String conflict) {
    Map<String, String> s = new java.util.HashMap<>(Fixtures.secrets());
    s.put(ref, value);
    MissingSecretsException e = assertThrows(MissingSecretsException.class,
        () -> Hydrator.hydrate(Fixtures.spec(), Fixtures.source(s)), value);
    assertEquals(List.of(conflict), e.conflicts());
    assertFalse(e.getMessage().contains("CANARY"), e.getMessage());
  }
}
