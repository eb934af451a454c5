package dev.parapet.core.config;

import static dev.parapet.core.config.Specs.assertError;
import static dev.parapet.core.config.Specs.assertValid;
import static dev.parapet.core.config.Specs.validWith;
import static dev.parapet.core.config.Specs.validate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.Problem.Kind;
import java.math.BigDecimal;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** routes[] and routes[].provider: type, model, keys, base URLs, prices, timeouts. */
class SpecProviderRulesTest {
  private static final String OPENAI_KEY = "      provider_key_ref: OPENAI_KEY_PROD\n";

  @Test
  void routeNeedsNameTenantProviderAndPolicy() {
    String yaml = validWith("  - name: echo\n    tenant: staging\n", "  - tenant: staging\n    extra: 1\n");
    ValidationResult r = validate(yaml);
    assertError(r, "routes[3].name", Kind.MISSING, 59, 5);
    assertError(r, "routes[3].extra", Kind.UNKNOWN_KEY, 60, 5);
    Problem bad = assertError(validate(validWith("  - name: echo\n", "  - name: Echo!\n")), "routes[3].name", Kind.VALUE, 59, 11);
    assertTrue(bad.message().startsWith("\"Echo!\" (expected:"), bad::toString);
  }

  @Test
  void absentProviderAndPolicyAreReportedAsTheirRequiredFields() {
    String yaml = validWith(
        "    provider:\n      type: echo\n      model: echo-1\n    policy:\n      max_tokens_in: 1000\n"
            + "      max_tokens_out: 500\n      budget_daily_usd: 1\n      redaction:\n        mode: warn\n        patterns: [EMAIL]\n",
        "");
    ValidationResult r = validate(yaml);
    assertEquals(
        List.of("routes[3].provider.type", "routes[3].provider.model", "routes[3].policy.max_tokens_in",
            "routes[3].policy.max_tokens_out", "routes[3].policy.budget_daily_usd"),
        r.errors().stream().map(Problem::path).toList());
    assertTrue(r.errors().stream().allMatch(p -> p.kind() == Kind.MISSING && p.line() == 59 && p.column() == 5));
  }

  @Test
  void providerOfTheWrongTypeIsOneTypeProblem() {
    String yaml = validWith("    provider:\n      type: echo\n      model: echo-1\n", "    provider: echo\n");
    ValidationResult r = validate(yaml);
    assertError(r, "routes[3].provider", Kind.TYPE, 61, 15);
    assertEquals(1, r.errors().size(), () -> Specs.dump(r.errors()));
  }

  @Test
  void providerTypeIsOneOfFour() {
    Problem p = assertError(validate(validWith("type: anthropic", "type: antropic")), "routes[1].provider.type", Kind.VALUE, 31, 13);
    assertEquals("one of: openai, anthropic, local, echo", p.expected());
    assertTrue(p.message().contains("did you mean `anthropic`?"), p::toString);
  }

  @Test
  void modelIsRequiredNonBlankBoundedAndWithoutWhitespace() {
    assertError(validate(validWith("      model: echo-1\n", "")), "routes[3].provider.model", Kind.MISSING, 62, 7);
    assertError(validate(validWith("model: echo-1", "model: \"  \"")), "routes[3].provider.model", Kind.MISSING, 63, 14);
    assertError(validate(validWith("model: echo-1", "model: \"echo 1\"")), "routes[3].provider.model", Kind.VALUE, 63, 14);
    assertError(validate(validWith("model: echo-1", "model: \"echo\\t1\"")), "routes[3].provider.model", Kind.VALUE, 63, 14);
    assertError(validate(validWith("model: echo-1", "model: " + "m".repeat(201))), "routes[3].provider.model", Kind.VALUE, 63, 14);
    assertValid(validate(validWith("model: echo-1", "model: " + "m".repeat(200))));
  }

  @Test
  void keyRefIsRequiredForHostedProviders() {
    Problem p = assertError(validate(validWith(OPENAI_KEY, "")), "routes[0].provider.provider_key_ref", Kind.MISSING, 15, 7);
    assertEquals("a secret reference name like OPENAI_KEY_PROD", p.expected());
    assertError(validate(validWith("provider_key_ref: ANTHROPIC_KEY_PROD", "provider_key_ref: sk-ant-123")),
        "routes[1].provider.provider_key_ref", Kind.VALUE, 33, 25);
  }

  @Test
  void aSecretPastedIntoARefIsNeverRepeated() {
    String secret = "sk-proj-PLANTED-9f8e7d6c5b4a";
    for (String value : List.of(secret, "[" + secret + "]", "{k: " + secret + "}")) {
      ValidationResult r = validate(validWith("provider_key_ref: OPENAI_KEY_PROD", "provider_key_ref: " + value));
      Problem p = Specs.only(r, "routes[0].provider.provider_key_ref");
      assertTrue(p.message().startsWith("not a secret reference name"), p::toString);
      assertTrue(r.problems().stream().noneMatch(q -> q.format("f").contains("PLANTED") || q.expected().contains("PLANTED")), value);
    }
  }

  @Test
  void keyRefIsOptionalForLocalAndRefusedForEcho() {
    ValidationResult local = validate(validWith("      base_url: http://127.0.0.1:8080/v1\n",
        "      base_url: http://127.0.0.1:8080/v1\n      provider_key_ref: LOCAL_KEY\n"));
    assertValid(local);
    assertEquals(Optional.of("LOCAL_KEY"), local.spec().orElseThrow().route("local-llama").orElseThrow().provider().providerKeyRef());
    Problem echo = assertError(validate(validWith("      model: echo-1\n", "      model: echo-1\n      provider_key_ref: ECHO_KEY\n")),
        "routes[3].provider.provider_key_ref", Kind.VALUE, 64, 25);
    assertTrue(echo.message().startsWith("not used by echo"), echo::toString);
  }

  @Test
  void baseUrlDefaultsPerTypeIsRequiredForLocalAndRefusedForEcho() {
    ValidationResult r = validate(Specs.validYaml());
    assertEquals(Optional.of(URI.create("https://api.anthropic.com/v1")),
        r.spec().orElseThrow().route("legal-review").orElseThrow().provider().baseUrl());
    Problem local = assertError(validate(validWith("      base_url: http://127.0.0.1:8080/v1\n", "")),
        "routes[2].provider.base_url", Kind.MISSING, 48, 7);
    assertTrue(local.expected().contains("http"), local::toString);
    Problem echo = assertError(validate(validWith("      model: echo-1\n", "      model: echo-1\n      base_url: http://localhost\n")),
        "routes[3].provider.base_url", Kind.VALUE, 64, 17);
    assertTrue(echo.message().startsWith("not used by echo"), echo::toString);
  }

  @Test
  void baseUrlMustBeAPlainAbsoluteHttpUrl() {
    for (String bad : List.of("ftp://127.0.0.1/v1", "127.0.0.1:8080", "/v1", "http://user:pw@127.0.0.1/v1",
        "http://127.0.0.1/v1?key=1", "http://127.0.0.1/v1#x", "http://exa mple/v1", "http:///v1")) {
      ValidationResult r = validate(validWith("base_url: http://127.0.0.1:8080/v1", "base_url: \"" + bad + "\""));
      Problem p = assertError(r, "routes[2].provider.base_url", Kind.VALUE, 50, 17);
      assertFalse(p.message().contains("pw@"), "never echo credentials: " + p);
    }
  }

  /**
   * A password written raw into the URL may hold '/', '?' or '#', which end the authority before
   * its '@'; a key may be pasted as a query parameter ({@code ?key=}, as some providers take it).
   * Neither may reach a message: problems are printed to terminals and CI logs.
   */
  @Test
  void baseUrlProblemsNeverEchoCredentialsOrQueryValues() {
    for (String bad : List.of("https://admin:pw/CANARY@api.openai.com/v1", "https://admin:CANARY/pw@api.openai.com/v1",
        "https://admin:pw?CANARY@api.openai.com/v1", "https://admin:pw#CANARY@api.openai.com/v1",
        "https://api.openai.com/v1?key=sk-CANARY", "https://api.openai.com/v1#sk-CANARY",
        "http://127.0.0.1/v1?key=sk-CANARY@x")) {
      ValidationResult r = validate(validWith("base_url: http://127.0.0.1:8080/v1", "base_url: \"" + bad + "\""));
      Problem p = assertError(r, "routes[2].provider.base_url", Kind.VALUE, 50, 17);
      assertFalse(p.message().contains("CANARY"), "never echo credentials: " + p);
      assertTrue(p.message().startsWith("\"http"), p::toString);
    }
  }

  @Test
  void hostedProvidersNeedHttpsUnlessTheHostIsLoopback() {
    String from = "      provider_key_ref: OPENAI_KEY_PROD\n";
    Problem p = assertError(validate(validWith(from, from + "      base_url: http://api.openai.com/v1\n")),
        "routes[0].provider.base_url", Kind.VALUE, 18, 17);
    assertTrue(p.message().contains("https"), p::toString);
    for (String loopback : List.of("http://127.0.0.1:9000/v1", "http://127.8.9.10/v1", "http://localhost:9000", "http://[::1]:9000/v1")) {
      ValidationResult r = validate(validWith(from, from + "      base_url: " + loopback + "\n"));
      assertValid(r);
    }
    for (String notLoopback : List.of("http://128.0.0.1/v1", "http://127.0.0.1.evil.com/v1", "http://localhost.evil.com/v1", "http://[::2]/v1")) {
      assertError(validate(validWith(from, from + "      base_url: " + notLoopback + "\n")), "routes[0].provider.base_url", Kind.VALUE, 18, 17);
    }
    // local may use plain http anywhere on the LAN
    assertValid(validate(validWith("http://127.0.0.1:8080/v1", "http://10.0.0.5:8080/v1")));
  }

  @Test
  void baseUrlTrailingSlashIsTrimmed() {
    ValidationResult r = validate(validWith("http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1/"));
    assertEquals(Optional.of(URI.create("http://127.0.0.1:8080/v1")),
        r.spec().orElseThrow().route("local-llama").orElseThrow().provider().baseUrl());
  }

  @Test
  void everyModelNeedsAPrice() {
    Problem local = assertError(validate(validWith("      pricing: { input_per_1m_usd: 0, output_per_1m_usd: 0 }\n", "")),
        "routes[2].provider.pricing.input_per_1m_usd", Kind.MISSING, 48, 7);
    assertTrue(local.message().contains("\"llama3.1-8b-instruct\""), local::toString);
    assertTrue(local.expected().contains("use 0 for self-hosted"), local::toString);
    assertError(validate(validWith("      pricing: { input_per_1m_usd: 0, output_per_1m_usd: 0 }\n", "")),
        "routes[2].provider.pricing.output_per_1m_usd", Kind.MISSING, 48, 7);
    Problem unknown = assertError(validate(validWith("model: gpt-4o-2024-08-06", "model: gpt-7-2030-01-01")),
        "routes[0].provider.pricing.input_per_1m_usd", Kind.MISSING, 15, 7);
    assertTrue(unknown.message().contains("add provider.pricing"), unknown::toString);
    assertFalse(unknown.expected().contains("self-hosted"));
  }

  @Test
  void pricingOverridesTheTableAndNeedsBothFields() {
    String from = "      provider_key_ref: OPENAI_KEY_PROD\n";
    ValidationResult r = validate(validWith(from, from + "      pricing: {input_per_1m_usd: 1.25, output_per_1m_usd: 5}\n"));
    assertValid(r);
    Pricing p = r.spec().orElseThrow().route("summarizer").orElseThrow().provider().pricing().orElseThrow();
    assertEquals(0, new BigDecimal("1.25").compareTo(p.inputPer1mUsd()));
    assertError(validate(validWith(from, from + "      pricing: {input_per_1m_usd: 1.25}\n")),
        "routes[0].provider.pricing.output_per_1m_usd", Kind.MISSING, 18, 16);
    assertError(validate(validWith(from, from + "      pricing: {input_per_1m_usd: -1, output_per_1m_usd: 1}\n")),
        "routes[0].provider.pricing.input_per_1m_usd", Kind.VALUE, 18, 35);
    assertError(validate(validWith(from, from + "      pricing: {input_usd: 1, input_per_1m_usd: 1, output_per_1m_usd: 1}\n")),
        "routes[0].provider.pricing.input_usd", Kind.UNKNOWN_KEY, 18, 17);
    assertError(validate(validWith(from, from + "      pricing: 5\n")), "routes[0].provider.pricing", Kind.TYPE, 18, 16);
  }

  @Test
  void echoIsFreeByDefaultAndPricedIfAsked() {
    ValidationResult r = validate(validWith("      model: echo-1\n", "      model: echo-1\n      pricing: {input_per_1m_usd: 1, output_per_1m_usd: 2}\n"));
    assertValid(r);
    assertTrue(r.spec().orElseThrow().route("echo").orElseThrow().provider().pricing().isPresent());
    assertEquals(Optional.empty(), validate(Specs.validYaml()).spec().orElseThrow().route("echo").orElseThrow().provider().pricing());
  }

  @Test
  void timeoutIsAWholeNumberUpToTenMinutes() {
    assertError(validate(validWith("timeout_ms: 120000", "timeout_ms: 0")), "routes[1].provider.timeout_ms", Kind.VALUE, 34, 19);
    assertError(validate(validWith("timeout_ms: 120000", "timeout_ms: 600001")), "routes[1].provider.timeout_ms", Kind.VALUE, 34, 19);
    assertError(validate(validWith("timeout_ms: 120000", "timeout_ms: 1.5")), "routes[1].provider.timeout_ms", Kind.TYPE, 34, 19);
    assertError(validate(validWith("timeout_ms: 120000", "timeout_ms: 0x10")), "routes[1].provider.timeout_ms", Kind.TYPE, 34, 19);
    assertError(validate(validWith("timeout_ms: 120000", "timeout_ms: 1:30")), "routes[1].provider.timeout_ms", Kind.TYPE, 34, 19);
    assertError(validate(validWith("timeout_ms: 120000", "timeout_ms: \"100\"")), "routes[1].provider.timeout_ms", Kind.TYPE, 34, 19);
    assertValid(validate(validWith("timeout_ms: 120000", "timeout_ms: 600000")));
  }

  @Test
  void allowedResponseModelsAreNonBlankIds() {
    String from = "      provider_key_ref: OPENAI_KEY_PROD\n";
    ValidationResult ok = validate(validWith(from, from + "      allowed_response_models: [gpt-4o-2024-11-20]\n"));
    assertEquals(List.of("gpt-4o-2024-11-20"), ok.spec().orElseThrow().route("summarizer").orElseThrow().provider().allowedResponseModels());
    assertError(validate(validWith(from, from + "      allowed_response_models: [\"\"]\n")),
        "routes[0].provider.allowed_response_models[0]", Kind.VALUE, 18, 33);
    assertError(validate(validWith(from, from + "      allowed_response_models: gpt-4o\n")),
        "routes[0].provider.allowed_response_models", Kind.TYPE, 18, 32);
  }

  @Test
  void misspeltProviderKeyIsAnError() {
    Problem p = assertError(validate(validWith("      provider_key_ref: ANTHROPIC_KEY_PROD\n", "      provider_key_rf: ANTHROPIC_KEY_PROD\n")),
        "routes[1].provider.provider_key_rf", Kind.UNKNOWN_KEY, 33, 7);
    assertTrue(p.message().contains("did you mean `provider_key_ref`?"), p::toString);
  }
}
