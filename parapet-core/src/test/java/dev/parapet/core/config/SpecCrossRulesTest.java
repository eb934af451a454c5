package dev.parapet.core.config;

import static dev.parapet.core.config.Specs.assertError;
import static dev.parapet.core.config.Specs.assertProblem;
import static dev.parapet.core.config.Specs.assertValid;
import static dev.parapet.core.config.Specs.validWith;
import static dev.parapet.core.config.Specs.validate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.Problem.Kind;
import dev.parapet.core.config.Problem.Severity;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** services[] and everything checked between entries. */
class SpecCrossRulesTest {
  @Test
  void routeNamingAMissingTenantIsAReferenceError() {
    Problem p = assertError(validate(validWith("    tenant: prod\n    provider:\n      type: openai", "    tenant: prd\n    provider:\n      type: openai")),
        "routes[0].tenant", Kind.REFERENCE, 13, 13);
    assertTrue(p.message().startsWith("tenant \"prd\" is not defined; did you mean `prod`?"), p::toString);
    assertTrue(p.message().contains("(expected: one of: prod, staging)"), p::toString);
  }

  @Test
  void aMissingTenantIsAskedForAmongTheDefinedOnes() {
    Problem p = assertError(validate(validWith("    tenant: prod\n    provider:\n      type: openai", "    provider:\n      type: openai")),
        "routes[0].tenant", Kind.MISSING, 12, 5);
    assertEquals("one of the tenants: prod, staging", p.expected());
  }

  @Test
  void routeNamesAreUnique() {
    Problem p = assertError(validate(validWith("  - name: echo\n", "  - name: summarizer\n")), "routes[3].name", Kind.DUPLICATE, 59, 11);
    assertTrue(p.message().contains("first at routes[0].name, line 12"), p::toString);
  }

  @Test
  void serviceNeedsLabelTenantAndTokenRef() {
    ValidationResult r = validate(validWith("  - label: ci-smoke\n    tenant: staging\n", "  - allowed_routes: [echo]\n    lable: x\n"));
    assertError(r, "services[1].label", Kind.MISSING, 79, 5);
    assertError(r, "services[1].tenant", Kind.MISSING, 79, 5);
    Problem typo = assertError(r, "services[1].lable", Kind.UNKNOWN_KEY, 80, 5);
    assertTrue(typo.message().contains("did you mean `label`?"), typo::toString);
    assertError(validate(validWith("    parapet_token_ref: CI_SMOKE_TOKEN\n", "")), "services[1].parapet_token_ref", Kind.MISSING, 79, 5);
    assertError(validate(validWith("label: ci-smoke", "label: CI Smoke")), "services[1].label", Kind.VALUE, 79, 12);
  }

  @Test
  void serviceTenantMustExist() {
    assertError(validate(validWith("    tenant: staging\n    allowed_routes: [echo", "    tenant: qa\n    allowed_routes: [echo")),
        "services[1].tenant", Kind.REFERENCE, 80, 13);
  }

  @Test
  void allowedRoutesMustExist() {
    Problem p = assertError(validate(validWith("allowed_routes: [echo, local-llama]", "allowed_routes: [echo, lokal-llama]")),
        "services[1].allowed_routes[1]", Kind.REFERENCE, 81, 28);
    assertTrue(p.message().startsWith("route \"lokal-llama\" is not defined; did you mean `local-llama`?"), p::toString);
  }

  @Test
  void allowedRoutesMustBelongToTheServicesTenant() {
    Problem p = assertError(validate(validWith("allowed_routes: [echo, local-llama]", "allowed_routes: [echo, summarizer]")),
        "services[1].allowed_routes[1]", Kind.REFERENCE, 81, 28);
    assertTrue(p.message().startsWith("route \"summarizer\" belongs to tenant \"prod\", not to this service's tenant \"staging\""), p::toString);
  }

  @Test
  void emptyAllowedRoutesIsAWarning() {
    ValidationResult r = validate(validWith("allowed_routes: [echo, local-llama]", "allowed_routes: []"));
    assertValid(r);
    assertProblem(r, "services[1].allowed_routes", Severity.WARNING, Kind.MISSING, 81, 21);
  }

  @Test
  void serviceLabelsAreUnique() {
    assertError(validate(validWith("label: ci-smoke", "label: service-a")), "services[1].label", Kind.DUPLICATE, 79, 12);
  }

  @Test
  void twoServicesOnOneTokenAreIndistinguishable() {
    Problem p = assertError(validate(validWith("parapet_token_ref: CI_SMOKE_TOKEN", "parapet_token_ref: SERVICE_A_TOKEN")),
        "services[1].parapet_token_ref", Kind.DUPLICATE, 82, 24);
    assertTrue(p.message().contains("services[0].parapet_token_ref, line 78"), p::toString);
  }

  @Test
  void oneSecretRefForTwoPurposesIsAnError() {
    Problem p = assertError(validate(validWith("parapet_token_ref: CI_SMOKE_TOKEN", "parapet_token_ref: OPENAI_KEY_PROD")),
        "services[1].parapet_token_ref", Kind.REFERENCE, 82, 24);
    assertTrue(p.message().contains("a service token here and as a provider key at routes[0].provider.provider_key_ref, line 17"), p::toString);
    assertError(validate(validWith("password_ref: PARAPET_FINANCE_PW", "password_ref: SERVICE_A_TOKEN")),
        "users[1].password_ref", Kind.REFERENCE, 90, 19);
    // the same provider key on two routes is fine: one account, two routes
    assertValid(validate(validWith("provider_key_ref: ANTHROPIC_KEY_PROD", "provider_key_ref: OPENAI_KEY_PROD")));
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    String yaml = Specs.validYaml()
        .replace("version: 1", "version: 3")                                        // 1 VALUE
        .replace("daily_usd_cap: 1000 ", "daily_usd_cap: -5 ")                     // 2 VALUE
        .replace("budget_daily_usd: 500", "budget_daly_usd: 500")                  // 3 UNKNOWN_KEY + 4 MISSING
        .replace("type: anthropic", "type: gemini")                                // 5 VALUE
        .replace("      base_url: http://127.0.0.1:8080/v1\n", "")                 // 6 MISSING
        .replace("patterns: [EMAIL]", "patterns: [SSN]")                           // 7 VALUE
        .replace("allowed_routes: [echo, local-llama]", "allowed_routes: [echo, summarizer]") // 8 REFERENCE
        .replace("role: viewer", "role: root");                                    // 9 VALUE
    ValidationResult r = validate(yaml);
    assertFalse(r.isValid());
    assertEquals(
        List.of("version", "tenants[0].spend.daily_usd_cap", "routes[0].policy.budget_daly_usd",
            "routes[0].policy.budget_daily_usd", "routes[1].provider.type", "routes[2].provider.base_url",
            "routes[3].policy.redaction.patterns[0]", "users[1].role", "services[1].allowed_routes[1]"),
        r.errors().stream().map(Problem::path).toList(),
        () -> Specs.dump(r.errors()));
    Set<Kind> kinds = r.errors().stream().map(Problem::kind).collect(Collectors.toSet());
    assertEquals(Set.of(Kind.VALUE, Kind.UNKNOWN_KEY, Kind.MISSING, Kind.REFERENCE), kinds);
    assertTrue(r.errors().stream().allMatch(p -> p.line() > 0 && p.column() > 0), () -> Specs.dump(r.errors()));
  }

  @Test
  void wrongTypesEverywhereAreTypeProblems() {
    String yaml = Specs.validYaml()
        .replace("    spend:\n      daily_usd_cap: 1000          # all prod routes together\n", "    spend: [1000]\n")
        .replace("      model: gpt-4o-2024-08-06     # pinned snapshot\n", "      model: {id: gpt-4o}\n")
        .replace("max_tokens_in: 20000", "max_tokens_in: [20000]")
        .replace("    allowed_routes:\n      - summarizer\n      - legal-review\n", "    allowed_routes: summarizer\n")
        .replace("username: trip", "username: [trip]");
    ValidationResult r = validate(yaml);
    assertEquals(
        List.of("tenants[0].spend", "routes[0].provider.model", "routes[1].policy.max_tokens_in",
            "services[0].allowed_routes", "users[0].username"),
        r.errors().stream().map(Problem::path).toList(),
        () -> Specs.dump(r.errors()));
    assertTrue(r.errors().stream().allMatch(p -> p.kind() == Kind.TYPE), () -> Specs.dump(r.errors()));
    assertEquals("a list (expected: a mapping with daily_usd_cap)", r.errors().get(0).message());
  }
}
