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
import org.junit.jupiter.api.Test;

/** routes[].policy: limits, budget, drift lock, redaction. */
class SpecPolicyRulesTest {
  @Test
  void tokenLimitsAreRequiredWholeNumbersInRange() {
    assertError(validate(validWith("      max_tokens_in: 6000\n", "")), "routes[0].policy.max_tokens_in", Kind.MISSING, 19, 7);
    assertError(validate(validWith("max_tokens_in: 6000", "max_tokens_in: 0")), "routes[0].policy.max_tokens_in", Kind.VALUE, 19, 22);
    assertError(validate(validWith("max_tokens_in: 6000", "max_tokens_in: 2000001")), "routes[0].policy.max_tokens_in", Kind.VALUE, 19, 22);
    assertValid(validate(validWith("max_tokens_in: 6000", "max_tokens_in: 2000000")));
    Problem frac = assertError(validate(validWith("max_tokens_out: 2000", "max_tokens_out: 20.5")), "routes[0].policy.max_tokens_out", Kind.TYPE, 20, 23);
    assertTrue(frac.message().contains("fraction"), frac::toString);
    assertError(validate(validWith("max_tokens_out: 2000", "max_tokens_out: 1000001")), "routes[0].policy.max_tokens_out", Kind.VALUE, 20, 23);
    assertError(validate(validWith("max_tokens_out: 2000", "max_tokens_out: 99999999999999999999999")), "routes[0].policy.max_tokens_out", Kind.VALUE, 20, 23);
    assertError(validate(validWith("max_tokens_out: 2000", "max_tokens_out: many")), "routes[0].policy.max_tokens_out", Kind.TYPE, 20, 23);
  }

  @Test
  void budgetIsARequiredNonNegativeDecimal() {
    Problem missing = assertError(validate(validWith("      budget_daily_usd: 500\n", "")), "routes[0].policy.budget_daily_usd", Kind.MISSING, 19, 7);
    assertEquals("routes[0].policy.budget_daily_usd: required (expected: a number >= 0)", missing.toString().substring(missing.toString().indexOf(' ') + 1));
    Problem negative = assertError(validate(validWith("budget_daily_usd: 500", "budget_daily_usd: -5")), "routes[0].policy.budget_daily_usd", Kind.VALUE, 21, 25);
    assertEquals("parapet.yaml:21:25: routes[0].policy.budget_daily_usd: -5 (expected: >= 0)", negative.format("parapet.yaml"));
    Problem lots = assertError(validate(validWith("budget_daily_usd: 500", "budget_daily_usd: \"lots\"")), "routes[0].policy.budget_daily_usd", Kind.TYPE, 21, 25);
    assertEquals("the string \"lots\" (expected: a number >= 0)", lots.message());
    assertError(validate(validWith("budget_daily_usd: 500", "budget_daily_usd: \"500\"")), "routes[0].policy.budget_daily_usd", Kind.TYPE, 21, 25);
    assertError(validate(validWith("budget_daily_usd: 500", "budget_daily_usd: [500]")), "routes[0].policy.budget_daily_usd", Kind.TYPE, 21, 25);
    assertError(validate(validWith("budget_daily_usd: 500", "budget_daily_usd: 0.0000000000001")), "routes[0].policy.budget_daily_usd", Kind.VALUE, 21, 25);
    assertValid(validate(validWith("budget_daily_usd: 500", "budget_daily_usd: 1.5e2")));
    assertValid(validate(validWith("budget_daily_usd: 500", "budget_daily_usd: 0.25")));
    Problem octal = assertError(validate(validWith("budget_daily_usd: 500", "budget_daily_usd: 0500")), "routes[0].policy.budget_daily_usd", Kind.TYPE, 21, 25);
    assertTrue(octal.message().contains("octal"), octal::toString);
    assertError(validate(validWith("max_tokens_in: 6000", "max_tokens_in: 06000")), "routes[0].policy.max_tokens_in", Kind.TYPE, 19, 22);
  }

  @Test
  void zeroBudgetIsAWarning() {
    ValidationResult r = validate(validWith("budget_daily_usd: 500", "budget_daily_usd: 0"));
    assertValid(r);
    Problem p = assertProblem(r, "routes[0].policy.budget_daily_usd", Severity.WARNING, Kind.VALUE, 21, 25);
    assertTrue(p.message().contains("can never spend"), p::toString);
  }

  @Test
  void misspeltBudgetIsAnErrorWithSuggestionAndTheBudgetIsMissing() {
    ValidationResult r = validate(validWith("budget_daily_usd: 500", "budget_daly_usd: 500"));
    Problem typo = assertError(r, "routes[0].policy.budget_daly_usd", Kind.UNKNOWN_KEY, 21, 7);
    assertTrue(typo.message().startsWith("unknown key \"budget_daly_usd\"; did you mean `budget_daily_usd`?"), typo::toString);
    assertError(r, "routes[0].policy.budget_daily_usd", Kind.MISSING, 19, 7);
  }

  @Test
  void driftStrictIsABooleanDefaultingToFalse() {
    assertError(validate(validWith("drift_strict: true", "drift_strict: \"yes please\"")), "routes[0].policy.drift_strict", Kind.TYPE, 22, 21);
    assertError(validate(validWith("drift_strict: true", "drift_strict: 1")), "routes[0].policy.drift_strict", Kind.TYPE, 22, 21);
    assertFalse(validate(Specs.validYaml()).spec().orElseThrow().route("legal-review").orElseThrow().policy().driftStrict());
  }

  @Test
  void driftStrictOnAnUndatedAliasIsWarned() {
    ValidationResult r = validate(validWith("model: gpt-4o-2024-08-06", "model: gpt-4o"));
    assertValid(r);
    Problem p = assertProblem(r, "routes[0].policy.drift_strict", Severity.WARNING, Kind.VALUE, 22, 21);
    assertTrue(p.message().contains("\"gpt-4o\""), p::toString);
    // allowed_response_models says the operator thought about snapshots
    String key = "      provider_key_ref: OPENAI_KEY_PROD\n";
    ValidationResult allowed = validate(validWith(key, key + "      allowed_response_models: [gpt-4o-2024-08-06]\n")
        .replace("model: gpt-4o-2024-08-06", "model: gpt-4o"));
    assertEquals(List.of(), allowed.warnings());
    // dated forms of each provider are not warned
    for (String dated : List.of("gpt-4o-2024-11-20", "gpt-3.5-turbo-0125")) {
      assertEquals(List.of(), validate(validWith("model: gpt-4o-2024-08-06", "model: " + dated)).warnings(), dated);
    }
    // echo answers with the pinned id itself; local servers may not
    assertEquals(List.of(), validate(validWith("      budget_daily_usd: 1\n", "      budget_daily_usd: 1\n      drift_strict: true\n")).warnings());
    Problem local = assertProblem(validate(validWith("      budget_daily_usd: 10\n", "      budget_daily_usd: 10\n      drift_strict: true\n")),
        "routes[2].policy.drift_strict", Severity.WARNING, Kind.VALUE, 56, 21);
    assertTrue(local.message().contains("on a local server, which reports a model name of its own choosing"), local::toString);
    assertTrue(RouteRules.isDatedSnapshot("claude-3-5-sonnet-20241022"));
    assertTrue(RouteRules.isDatedSnapshot("gpt-4-1106-preview"), "OpenAI's dated previews report themselves");
    assertFalse(RouteRules.isDatedSnapshot("gpt-4-turbo-preview"));
    assertFalse(RouteRules.isDatedSnapshot("claude-sonnet-4-0"));
    assertFalse(RouteRules.isDatedSnapshot("gpt-4.1"));
  }

  @Test
  void absentRedactionIsOffWithAWarning() {
    ValidationResult r = validate(validWith("      redaction:\n        mode: block\n        patterns:\n          - EMAIL\n          - CREDIT_CARD\n", ""));
    assertValid(r);
    Problem p = assertProblem(r, "routes[1].policy.redaction", Severity.WARNING, Kind.MISSING, 36, 7);
    assertTrue(p.message().startsWith("redaction is off"), p::toString);
    assertEquals(RedactionPolicy.OFF, r.spec().orElseThrow().route("legal-review").orElseThrow().policy().redaction());
  }

  @Test
  void redactionModeIsRequiredAndOneOfThree() {
    assertError(validate(validWith("        mode: block\n", "")), "routes[1].policy.redaction.mode", Kind.MISSING, 40, 9);
    Problem p = assertError(validate(validWith("mode: block", "mode: blok")), "routes[1].policy.redaction.mode", Kind.VALUE, 40, 15);
    assertEquals("one of: warn, block, off", p.expected());
    assertTrue(p.message().contains("did you mean `block`?"), p::toString);
    // YAML 1.1 reads a bare off as a boolean; the spec means the word
    assertEquals(RedactionMode.OFF, validate(Specs.validYaml()).spec().orElseThrow().route("local-llama").orElseThrow().policy().redaction().mode());
  }

  @Test
  void patternsMustBeKnownNames() {
    Problem p = assertError(validate(validWith("patterns: [EMAIL]", "patterns: [EMAIL, SSN]")), "routes[3].policy.redaction.patterns[1]", Kind.VALUE, 70, 27);
    assertTrue(p.message().contains("EMAIL, API_KEY, BEARER_TOKEN, JWT, PRIVATE_KEY, CREDIT_CARD, IPV4"), p::toString);
    Problem lower = assertError(validate(validWith("patterns: [EMAIL]", "patterns: [email]")), "routes[3].policy.redaction.patterns[0]", Kind.VALUE, 70, 20);
    assertTrue(lower.message().contains("did you mean `EMAIL`?"), lower::toString);
  }

  @Test
  void warnOrBlockNeedAtLeastOnePattern() {
    assertError(validate(validWith("patterns: [EMAIL]", "patterns: []")), "routes[3].policy.redaction.patterns", Kind.VALUE, 70, 19);
    assertError(validate(validWith("        patterns: [EMAIL]\n", "")), "routes[3].policy.redaction.patterns", Kind.MISSING, 69, 9);
    // off needs none
    assertValid(validate(Specs.validYaml()));
  }

  @Test
  void scanOutputIsABooleanDefaultingToFalse() {
    assertError(validate(validWith("scan_output: false", "scan_output: maybe")), "routes[0].policy.redaction.scan_output", Kind.TYPE, 26, 22);
    assertTrue(validate(validWith("scan_output: false", "scan_output: true")).spec().orElseThrow().route("summarizer").orElseThrow().policy().redaction().scanOutput());
  }

  @Test
  void redactionOfTheWrongTypeIsATypeProblem() {
    assertError(validate(validWith("      redaction:\n        mode: warn\n        patterns: [EMAIL]\n", "      redaction: warn\n")),
        "routes[3].policy.redaction", Kind.TYPE, 68, 18);
  }

  /** A search model bills a fee per web search that Parapet cannot price: warned, not refused. */
  @Test
  void aSearchModelsPerCallFeeIsWarned() {
    String pricing = "      provider_key_ref: OPENAI_KEY_PROD\n";
    for (String model : List.of("gpt-4o-search-preview", "gpt-4o-mini-search-preview-2025-03-11", "gpt-5-search-api")) {
      ValidationResult r = validate(validWith("model: gpt-4o-2024-08-06     # pinned snapshot\n" + pricing,
          "model: " + model + "\n" + pricing + "      allowed_response_models: [" + model + "-x]\n"
              + "      pricing: { input_per_1m_usd: 2.50, output_per_1m_usd: 10.00 }\n"));
      assertValid(r);
      Problem p = assertProblem(r, "routes[0].provider.model", Severity.WARNING, Kind.VALUE, 16, 14);
      assertTrue(p.message().startsWith("\"" + model + "\" searches the web on every call"), p::toString);
    }
    assertEquals(List.of(), validate(Specs.validYaml()).warnings(), "no other model is warned");
  }
}
