package dev.parapet.core.seal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Role;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.config.User;
import dev.parapet.core.seal.SealException.Reason;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {
  private static final HydratedConfig BASE = Fixtures.hydrated();

  private static String text(HydratedConfig c) {
    return new String(CanonicalJson.write(c), UTF_8);
  }

  @Test
  void readOfWriteIsTheSameConfig() throws SealException {
    byte[] bytes = CanonicalJson.write(BASE);
    HydratedConfig back = CanonicalJson.read(bytes);
    assertArrayEquals(bytes, CanonicalJson.write(back));
    assertEquals(BASE.serviceTokenDigests(), back.serviceTokenDigests());
    assertEquals(BASE.passwordHashes(), back.passwordHashes());
    assertEquals(BASE.providerKeys(), back.providerKeys());
    assertEquals(BASE.spec().tenants().size(), back.spec().tenants().size());
  }

  @Test
  void loadingTheReaderOnAnotherThreadWhileReadingChangesNothing() throws Exception {
    // What boot does: BootPrep loads the reader while the main thread decrypts, then reads.
    byte[] bytes = CanonicalJson.write(BASE);
    Thread prep = new Thread(CanonicalJson::loadReader, "prep");
    prep.start();
    HydratedConfig back = CanonicalJson.read(bytes);
    prep.join();
    CanonicalJson.loadReader(); // again: a no-op
    assertArrayEquals(bytes, CanonicalJson.write(back));
  }

  @Test
  void orderOfTheInputDoesNotChangeTheBytes() {
    ParapetSpec reordered = Fixtures.spec(true);
    Map<String, SecretValue> keys = new LinkedHashMap<>();
    keys.put("OPENAI_KEY_PROD", SecretValue.of(Fixtures.OPENAI_KEY));
    keys.put("ANTHROPIC_KEY", SecretValue.of(Fixtures.ANTHROPIC_KEY));
    HydratedConfig other = new HydratedConfig(reordered, keys,
        BASE.serviceTokenDigests(), BASE.passwordHashes());
    assertArrayEquals(CanonicalJson.write(BASE), CanonicalJson.write(other));
    assertEquals(Sealer.configSha256(BASE), Sealer.configSha256(other));
  }

  @Test
  void shapeIsSortedCompactSnakeCase() {
    String json = text(BASE);
    assertTrue(json.startsWith("{\"routes\":[{\"name\":\"claude\","), json);
    assertTrue(json.endsWith(",\"version\":1}"), json);
    assertFalse(json.contains(": ") || json.contains(", ") || json.contains("\n"));
    assertTrue(json.contains("\"spend\":{\"daily_usd_cap\":1000}"), "1000.00 → 1000");
    assertTrue(json.contains("\"input_per_1m_usd\":2.5,\"output_per_1m_usd\":10}"), json);
    assertTrue(json.contains("\"budget_daily_usd\":0.5,"), json);
    assertTrue(json.contains("\"budget_daily_usd\":0,"), json);
    assertTrue(json.contains("\"patterns\":[\"API_KEY\",\"EMAIL\"]"), json);
    assertTrue(json.contains("\"allowed_routes\":[\"claude\",\"summarizer\"]"), json);
    assertTrue(json.contains("\"type\":\"openai\""), json);
    assertTrue(json.contains("\"role\":\"admin\""), json);
    assertTrue(json.contains("\"mode\":\"warn\""), json);
    assertFalse(json.contains("\"notes\":\"\""));
    // The echo route has no key ref, no base_url and no allowed_response_models.
    String echo = json.substring(json.indexOf("{\"name\":\"echo-demo\""));
    echo = echo.substring(0, echo.indexOf("\"tenant\""));
    assertFalse(echo.contains("provider_key_ref") || echo.contains("base_url")
        || echo.contains("allowed_response_models"), echo);
  }

  @Test
  void decimalsAreCanonicalWhateverTheirScale() {
    assertEquals("1000", CanonicalJson.decimal(new BigDecimal("1E+3")));
    assertEquals("1000", CanonicalJson.decimal(new BigDecimal("1000.000")));
    assertEquals("0", CanonicalJson.decimal(new BigDecimal("0.000")));
    assertEquals("0.000001", CanonicalJson.decimal(new BigDecimal("1E-6")));
    assertThrows(IllegalArgumentException.class,
        () -> CanonicalJson.decimal(new BigDecimal("1E+999999999")));
    assertThrows(IllegalArgumentException.class,
        () -> CanonicalJson.decimal(new BigDecimal("1E-999999999")));
  }

  @Test
  void anyPolicyOrSecretChangeChangesTheChecksum() {
    ParapetSpec spec = BASE.spec();
    List<UnaryOperator<ParapetSpec>> specChanges = List.of(
        s -> withRoute(s, "summarizer", r -> Fixtures.summarizer(false, new BigDecimal("500.01"))),
        s -> withRoute(s, "claude", r -> new Route(r.name(), r.tenant(), r.provider(),
            policy(r.policy(), r.policy().maxTokensIn() + 1, r.policy().driftStrict(), r.policy().redaction()))),
        s -> withRoute(s, "claude", r -> new Route(r.name(), r.tenant(), r.provider(),
            policy(r.policy(), r.policy().maxTokensIn(), !r.policy().driftStrict(), r.policy().redaction()))),
        s -> withRoute(s, "claude", r -> new Route(r.name(), r.tenant(), r.provider(),
            policy(r.policy(), r.policy().maxTokensIn(), r.policy().driftStrict(),
                new RedactionPolicy(RedactionMode.WARN, List.of(), false)))),
        s -> withRoute(s, "echo-demo", r -> new Route(r.name(), r.tenant(), r.provider(),
            policy(r.policy(), r.policy().maxTokensIn(), r.policy().driftStrict(),
                new RedactionPolicy(RedactionMode.BLOCK,
                    List.of(RedactionPattern.PRIVATE_KEY, RedactionPattern.JWT), true)))),
        s -> new ParapetSpec(1, List.of(s.tenants().get(0),
            new Tenant("lab", Optional.of(BigDecimal.TEN), Optional.empty())),
            s.routes(), s.services(), s.users()),
        s -> new ParapetSpec(1, s.tenants(), s.routes(),
            List.of(s.services().get(0), new Service("service-b", "lab", List.of(), "SERVICE_B_TOKEN")),
            s.users()),
        s -> new ParapetSpec(1, s.tenants(), s.routes(), s.services(),
            List.of(s.users().get(0), new User("finance", Role.ADMIN, "PARAPET_FINANCE_PW"))));
    Set<String> sums = new HashSet<>();
    sums.add(Sealer.configSha256(BASE));
    for (var change : specChanges) {
      HydratedConfig c = new HydratedConfig(change.apply(spec), BASE.providerKeys(),
          BASE.serviceTokenDigests(), BASE.passwordHashes());
      assertTrue(sums.add(Sealer.configSha256(c)), "a spec change must change the checksum");
    }
    Map<String, SecretValue> keys = new LinkedHashMap<>(BASE.providerKeys());
    keys.put("ANTHROPIC_KEY", SecretValue.of(Fixtures.ANTHROPIC_KEY + "x"));
    assertTrue(sums.add(Sealer.configSha256(new HydratedConfig(spec, keys,
        BASE.serviceTokenDigests(), BASE.passwordHashes()))), "provider key");
    Map<String, String> digests = new LinkedHashMap<>(BASE.serviceTokenDigests());
    digests.put("service-b", TokenDigest.of((Fixtures.TOKEN_B + "x").getBytes(UTF_8)));
    assertTrue(sums.add(Sealer.configSha256(new HydratedConfig(spec, BASE.providerKeys(),
        digests, BASE.passwordHashes()))), "service token");
    Map<String, String> hashes = new LinkedHashMap<>(BASE.passwordHashes());
    hashes.put("finance", PasswordHash.hash((Fixtures.PW_FINANCE + "x").toCharArray(), "finance"));
    assertTrue(sums.add(Sealer.configSha256(new HydratedConfig(spec, BASE.providerKeys(),
        BASE.serviceTokenDigests(), hashes))), "password");
  }

  private static Policy policy(Policy p, int maxIn, boolean drift, RedactionPolicy redaction) {
    return new Policy(maxIn, p.maxTokensOut(), p.budgetDailyUsd(), drift, redaction);
  }

  private static ParapetSpec withRoute(ParapetSpec s, String name, UnaryOperator<Route> change) {
    List<Route> routes = new ArrayList<>();
    s.routes().forEach(r -> routes.add(r.name().equals(name) ? change.apply(r) : r));
    return new ParapetSpec(1, s.tenants(), routes, s.services(), s.users());
  }

  @Test
  void readIsStrict() {
    String good = text(BASE);
    String digestA = BASE.serviceTokenDigests().get("service-a");
    Map<String, String> bad = new LinkedHashMap<>();
    bad.put("unknown top-level field", good.replace("\"version\":1}", "\"version\":1,\"extra\":1}"));
    bad.put("unknown nested field", good.replace("\"scan_output\":false", "\"scan_output\":false,\"x\":0"));
    bad.put("missing field", good.replace("\"timeout_ms\":30000,", ""));
    bad.put("string for integer", good.replace("\"max_tokens_in\":6000", "\"max_tokens_in\":\"6000\""));
    bad.put("fraction for integer", good.replace("\"max_tokens_in\":6000", "\"max_tokens_in\":6000.5"));
    bad.put("huge integer", good.replace("\"max_tokens_in\":6000", "\"max_tokens_in\":60000000000"));
    bad.put("string for boolean", good.replace("\"drift_strict\":true", "\"drift_strict\":\"true\""));
    bad.put("unknown enum", good.replace("\"type\":\"openai\"", "\"type\":\"OpenAI\""));
    bad.put("unknown pattern", good.replace("\"API_KEY\",\"EMAIL\"", "\"API_KEY\",\"SSN\""));
    bad.put("duplicate key", good.replace("\"version\":1}", "\"version\":1,\"version\":1}"));
    bad.put("trailing tokens", good + " {}");
    bad.put("record validation", good.replace("\"name\":\"claude\"", "\"name\":\"Claude!\""));
    bad.put("negative budget", good.replace("\"budget_daily_usd\":0.5", "\"budget_daily_usd\":-0.5"));
    bad.put("wrong version", good.replace("\"version\":1}", "\"version\":2}"));
    bad.put("digest for no service", good.replace("\"service_token_digests\":{",
        "\"service_token_digests\":{\"ghost\":\"" + digestA + "\","));
    bad.put("missing digest", good.replace("\"service-a\":\"" + digestA + "\",", ""));
    bad.put("malformed digest", good.replace(digestA, "sha256:00"));
    bad.put("malformed password hash", good.replace("$argon2id$", "$argon2i$"));
    bad.put("missing provider key", good.replace(
        "\"ANTHROPIC_KEY\":\"" + Fixtures.ANTHROPIC_KEY + "\",", ""));
    bad.put("provider key not a string", good.replace(
        "\"" + Fixtures.ANTHROPIC_KEY + "\"", "[\"" + Fixtures.ANTHROPIC_KEY + "\"]"));
    bad.put("array for object", good.replace("\"secrets\":{", "\"secrets\":[{").replace(
        "},\"services\"", "}],\"services\""));
    for (var e : bad.entrySet()) {
      assertNotEquals(good, e.getValue(), "the mutation applied: " + e.getKey());
      SealException ex = assertThrows(SealException.class,
          () -> CanonicalJson.read(e.getValue().getBytes(UTF_8)), e.getKey());
      assertEquals(Reason.INVALID_CONFIG, ex.reason(), e.getKey());
      for (String canary : Fixtures.CANARIES) {
        assertFalse(ex.getMessage().contains(canary), e.getKey() + ": " + ex.getMessage());
      }
    }
  }

  @Test
  void readNamesThePathOfTheProblem() {
    String bad = text(BASE).replace("\"max_tokens_in\":6000", "\"max_tokens_in\":\"6000\"");
    SealException e = assertThrows(SealException.class, () -> CanonicalJson.read(bad.getBytes(UTF_8)));
    assertEquals("sealed config: $.routes[2].policy.max_tokens_in: expected an integer", e.getMessage());
  }
}
