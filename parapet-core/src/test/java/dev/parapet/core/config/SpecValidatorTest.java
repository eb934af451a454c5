package dev.parapet.core.config;

import static dev.parapet.core.config.Specs.assertValid;
import static dev.parapet.core.config.Specs.validate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SpecValidatorTest {
  @Test
  void referenceSpecIsValidAndFullyBuilt() {
    ValidationResult result = validate(Specs.validYaml());
    assertValid(result);
    assertEquals(List.of(), result.warnings(), () -> Specs.dump(result.warnings()));
    ParapetSpec spec = result.spec().orElseThrow();
    assertEquals(2, spec.tenants().size());
    assertEquals(0, new BigDecimal("1000").compareTo(spec.tenant("prod").orElseThrow().dailyUsdCap().orElseThrow()));
    assertEquals(Optional.empty(), spec.tenant("staging").orElseThrow().dailyUsdCap());
    Route summarizer = spec.route("summarizer").orElseThrow();
    assertEquals(ProviderType.OPENAI, summarizer.provider().type());
    assertEquals(Optional.of(URI.create("https://api.openai.com/v1")), summarizer.provider().baseUrl());
    assertEquals(ProviderSpec.DEFAULT_TIMEOUT_MS, summarizer.provider().timeoutMs());
    assertTrue(summarizer.policy().driftStrict());
    assertEquals(
        List.of(RedactionPattern.EMAIL, RedactionPattern.API_KEY, RedactionPattern.BEARER_TOKEN),
        summarizer.policy().redaction().patterns());
    Route legal = spec.route("legal-review").orElseThrow();
    assertEquals(120_000, legal.provider().timeoutMs());
    assertEquals(0, new BigDecimal("250.50").compareTo(legal.policy().budgetDailyUsd()));
    assertEquals(RedactionMode.BLOCK, legal.policy().redaction().mode());
    Route local = spec.route("local-llama").orElseThrow();
    assertEquals(Optional.of(URI.create("http://127.0.0.1:8080/v1")), local.provider().baseUrl());
    assertEquals(Optional.of(Pricing.FREE), local.provider().pricing());
    assertEquals(RedactionMode.OFF, local.policy().redaction().mode());
    Route echo = spec.route("echo").orElseThrow();
    assertEquals(Optional.empty(), echo.provider().baseUrl());
    assertEquals(Optional.empty(), echo.provider().providerKeyRef());
    assertEquals(List.of("echo", "local-llama"), spec.service("ci-smoke").orElseThrow().allowedRoutes());
    assertEquals(Role.VIEWER, spec.user("finance").orElseThrow().role());
    assertEquals(
        List.of("OPENAI_KEY_PROD", "ANTHROPIC_KEY_PROD", "SERVICE_A_TOKEN", "CI_SMOKE_TOKEN",
            "PARAPET_ADMIN_TRIP_PW", "PARAPET_FINANCE_PW"),
        spec.secretRefs());
  }
}
