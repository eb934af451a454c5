package dev.parapet.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpecDocumentTest {
  private static final String INCOMPLETE =
      """
      # prod gateway, reviewed by finance
      version: 1
      tenants:
        - name: prod
      routes:
        - name: summarizer   # the main route
          tenant: prod
          provider:
            type: openai
            model: gpt-4o-2024-08-06
            provider_key_ref: OPENAI_KEY_PROD
          policy:
            max_tokens_in: 6000
            max_tokens_out: 2000
            redaction: {mode: warn, patterns: [EMAIL]}
      services:
        - label: service-a
          tenant: prod
          allowed_routes: [summarizer]
          parapet_token_ref: SERVICE_A_TOKEN
      """;

  @Test
  void fillingEveryMissingPathCompletesTheSpecAndKeepsComments() {
    SpecDocument doc = SpecLoader.parse(INCOMPLETE, "parapet.yaml");
    ValidationResult first = SpecValidator.validate(doc);
    assertEquals(
        List.of("routes[0].policy.budget_daily_usd", "users[0].username", "users[0].role", "users[0].password_ref"),
        first.missing().stream().map(Problem::path).toList());
    assertEquals(first.errors(), first.missing(), "nothing but missing values");

    doc.set("routes[0].policy.budget_daily_usd", new BigDecimal("500"));
    doc.set("users[0].username", "trip");
    doc.set("users[0].role", Role.ADMIN);
    doc.set("users[0].password_ref", "PARAPET_ADMIN_TRIP_PW");
    Specs.assertValid(SpecValidator.validate(doc));

    String yaml = doc.toYaml();
    assertTrue(yaml.contains("# prod gateway, reviewed by finance"), yaml);
    assertTrue(yaml.contains("# the main route"), yaml);
    assertTrue(yaml.contains("      max_tokens_out: 2000\n      budget_daily_usd: 500\n"), yaml);
    assertTrue(yaml.contains("users:\n  - username: trip\n    role: admin\n    password_ref: PARAPET_ADMIN_TRIP_PW\n"), yaml);

    // what is written reads back to the same spec
    ValidationResult reread = Specs.validate(yaml);
    Specs.assertValid(reread);
    assertEquals(SpecValidator.validate(doc).spec(), reread.spec());
  }

  @Test
  void anEmptyFileCanBeFilledFromScratchWithSetText() {
    SpecDocument doc = SpecLoader.parse("", "parapet.yaml");
    Map<String, String> answers =
        Map.ofEntries(
            Map.entry("version", "1"),
            Map.entry("tenants[0].name", "prod"),
            Map.entry("routes[0].name", "demo"),
            Map.entry("routes[0].tenant", "prod"),
            Map.entry("routes[0].provider.type", "echo"),
            Map.entry("routes[0].provider.model", "echo-1"),
            Map.entry("routes[0].policy.max_tokens_in", "1000"),
            Map.entry("routes[0].policy.max_tokens_out", "200"),
            Map.entry("routes[0].policy.budget_daily_usd", "2.50"),
            Map.entry("users[0].username", "trip"),
            Map.entry("users[0].role", "admin"),
            Map.entry("users[0].password_ref", "ADMIN_PW"));
    for (int round = 0; round < 3; round++) {
      for (Problem p : SpecValidator.validate(doc).missing()) {
        doc.setText(p.path(), answers.get(p.path()));
      }
    }
    ValidationResult result = SpecValidator.validate(doc);
    Specs.assertValid(result);
    assertEquals(
        0, new BigDecimal("2.5").compareTo(result.spec().orElseThrow().routes().get(0).policy().budgetDailyUsd()));
    assertTrue(doc.toYaml().startsWith("version: 1\ntenants:\n  - name: prod\nroutes:\n"), doc.toYaml());
  }

  @Test
  void dependentRequirementsAppearAfterTheAnswerTheyDependOn() {
    SpecDocument doc = SpecLoader.parse(Specs.validWith("      provider_key_ref: OPENAI_KEY_PROD\n", ""), "p");
    Specs.assertError(SpecValidator.validate(doc), "routes[0].provider.provider_key_ref", Problem.Kind.MISSING, 15, 7);
    doc.set("routes[0].provider.provider_key_ref", "OPENAI_KEY_PROD");
    Specs.assertValid(SpecValidator.validate(doc));
  }

  @Test
  void setReplacesValuesAndKeepsTheirTrailingComment() {
    SpecDocument doc = SpecLoader.parse(Specs.validYaml(), "parapet.yaml");
    doc.set("tenants[0].spend.daily_usd_cap", 2000);
    doc.set("routes[0].policy.redaction.patterns", List.of(RedactionPattern.JWT, "EMAIL"));
    doc.set("services[1].allowed_routes[2]", "summarizer");
    String yaml = doc.toYaml();
    assertTrue(yaml.contains("daily_usd_cap: 2000 # all prod routes together"), yaml);
    ValidationResult result = Specs.validate(yaml);
    Problem p = Specs.only(result, "services[1].allowed_routes[2]");
    assertEquals(Problem.Kind.REFERENCE, p.kind());
    assertTrue(p.message().contains("belongs to tenant \"prod\""), p::toString);
  }

  @Test
  void blankLinesAndCommentsBeforeListItemsStayInFrontOfTheDash() {
    String text = Specs.validYaml().replace("  - name: echo\n", "  # the demo route\n  - name: echo\n");
    SpecDocument doc = SpecLoader.parse(text, "parapet.yaml");
    String yaml = doc.toYaml();
    assertTrue(yaml.contains("        scan_output: false\n\n  - name: legal-review\n"), yaml);
    assertTrue(yaml.contains("        mode: off\n\n  # the demo route\n  - name: echo\n"), yaml);
    assertFalse(yaml.contains("- \n"), yaml);
    assertEquals(SpecValidator.validate(doc).spec(), Specs.validate(yaml).spec());
  }

  @Test
  void stringsThatLookLikeNumbersStayStrings() {
    SpecDocument doc = SpecLoader.parse(Specs.validYaml(), "parapet.yaml");
    doc.set("tenants[0].notes", "500");
    doc.set("users[0].password_ref", "true");
    String yaml = doc.toYaml();
    ValidationResult reread = Specs.validate(yaml);
    Specs.assertValid(reread);
    assertEquals("500", reread.spec().orElseThrow().tenants().get(0).notes().orElseThrow());
    assertEquals("true", reread.spec().orElseThrow().users().get(0).passwordRef());
  }

  @Test
  void setTextNeverParsesStructure() {
    SpecDocument doc = SpecLoader.parse(Specs.validYaml(), "parapet.yaml");
    doc.setText("tenants[0].notes", "[a, b]: {c: d} # not a comment");
    ValidationResult reread = Specs.validate(doc.toYaml());
    assertEquals("[a, b]: {c: d} # not a comment", reread.spec().orElseThrow().tenants().get(0).notes().orElseThrow());
  }

  @Test
  void setRejectsBadPathsAndValues() {
    SpecDocument doc = SpecLoader.parse(Specs.validYaml(), "parapet.yaml");
    assertThrows(IllegalArgumentException.class, () -> doc.set("", "x"));
    assertThrows(IllegalArgumentException.class, () -> doc.set("routes[", "x"));
    assertThrows(IllegalArgumentException.class, () -> doc.set("routes..name", "x"));
    assertThrows(IllegalArgumentException.class, () -> doc.set("[0]", "x"));
    assertThrows(IllegalArgumentException.class, () -> doc.set("users[5].username", "x"));
    assertThrows(IllegalArgumentException.class, () -> doc.set("tenants[0].notes", new Object()));
    assertThrows(IllegalArgumentException.class, () -> doc.set("tenants[0].notes", Double.NaN));
    Specs.assertValid(SpecValidator.validate(doc));
    String before = doc.toYaml();
    assertThrows(IllegalArgumentException.class, () -> doc.set("routes[0].policy.extra[1].x", "x"));
    assertThrows(IllegalArgumentException.class, () -> doc.set("tenants[0].notes[1]", "x"));
    assertEquals(before, doc.toYaml(), "a refused set changes nothing");
    SpecDocument empty = SpecDocument.empty("p");
    assertThrows(IllegalArgumentException.class, () -> empty.set("users[1].username", "x"));
    assertEquals("", empty.toYaml());
  }

  @Test
  void aDocumentThatDidNotParseCannotBeEditedOrWritten() {
    SpecDocument doc = SpecLoader.parse("version: [1\n", "parapet.yaml");
    assertFalse(doc.isEditable());
    assertThrows(IllegalStateException.class, () -> doc.set("version", 1));
    assertThrows(IllegalStateException.class, doc::toYaml);
  }

  @Test
  void setReplacesAScalarThatIsInTheWayOfAMapping() {
    SpecDocument doc = SpecLoader.parse(Specs.validWith("    spend:\n      daily_usd_cap: 1000          # all prod routes together\n", "    spend: lots\n"), "p");
    Specs.assertError(SpecValidator.validate(doc), "tenants[0].spend", Problem.Kind.TYPE, 6, 12);
    doc.set("tenants[0].spend.daily_usd_cap", 10);
    Specs.assertValid(SpecValidator.validate(doc));
  }
}
