package dev.parapet.core.config;

import static dev.parapet.core.config.Specs.assertError;
import static dev.parapet.core.config.Specs.assertProblem;
import static dev.parapet.core.config.Specs.assertValid;
import static dev.parapet.core.config.Specs.validWith;
import static dev.parapet.core.config.Specs.validate;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.Problem.Kind;
import dev.parapet.core.config.Problem.Severity;
import java.util.List;
import org.junit.jupiter.api.Test;

/** version, the top-level lists, tenants and users. */
class SpecTopLevelRulesTest {
  @Test
  void versionIsRequiredAndMustBeOne() {
    Problem missing = assertError(validate(validWith("version: 1\n", "")), "version", Kind.MISSING, 3, 1);
    assertEquals("1", missing.expected());
    Problem two = assertError(validate(validWith("version: 1\n", "version: 2\n")), "version", Kind.VALUE, 2, 10);
    assertTrue(two.message().startsWith("2 (expected: 1"), two::toString);
    Problem text = assertError(validate(validWith("version: 1\n", "version: \"1\"\n")), "version", Kind.TYPE, 2, 10);
    assertEquals("the string \"1\" (expected: 1)", text.message());
  }

  @Test
  void unknownTopLevelKeyIsAnErrorWithSuggestion() {
    Problem p = assertError(validate(validWith("version: 1\n", "version: 1\nuser: []\n")), "user", Kind.UNKNOWN_KEY, 3, 1);
    assertTrue(p.message().contains("did you mean `users`?"), p::toString);
  }

  @Test
  void emptyTenantsListReportsTheFirstTenantsNameMissing() {
    String yaml = validWith("tenants:\n  - name: prod\n    spend:\n      daily_usd_cap: 1000          # all prod routes together\n"
        + "    notes: \"primary production tenant\"\n  - name: staging\n", "tenants: []\n");
    Problem p = assertError(validate(yaml), "tenants[0].name", Kind.MISSING, 4, 10);
    assertTrue(p.message().startsWith("required: at least one tenant"), p::toString);
  }

  @Test
  void listsOfTheWrongTypeAreTypeProblems() {
    Problem p = assertError(validate(validWith("users:\n", "users: trip\nx:\n")), "users", Kind.TYPE, 84, 8);
    assertEquals("a list of users", p.expected());
    assertTrue(p.message().contains("the string \"trip\" (expected: a list of users)"), p::toString);
    assertError(validate(validWith("  - name: staging\n", "  - staging\n")), "tenants[1]", Kind.TYPE, 9, 5);
  }

  @Test
  void tenantNameMustBeAnIdentifier() {
    Problem p = assertError(validate(validWith("  - name: staging\n", "  - name: Staging Env\n")), "tenants[1].name", Kind.VALUE, 9, 11);
    assertTrue(p.message().startsWith("\"Staging Env\" (expected: a name like prod"), p::toString);
  }

  @Test
  void tenantCapIsAnOptionalDecimalAtLeastZero() {
    Problem negative = assertError(
        validate(validWith("daily_usd_cap: 1000 ", "daily_usd_cap: -5 ")), "tenants[0].spend.daily_usd_cap", Kind.VALUE, 7, 22);
    assertEquals("-5 (expected: >= 0)", negative.message());
    assertEquals("a number >= 0", negative.expected());
    assertError(validate(validWith("daily_usd_cap: 1000 ", "daily_usd_cap: lots ")), "tenants[0].spend.daily_usd_cap", Kind.TYPE, 7, 22);
    assertError(validate(validWith("daily_usd_cap: 1000 ", "daily_usd_cap: true ")), "tenants[0].spend.daily_usd_cap", Kind.TYPE, 7, 22);
    assertError(validate(validWith("daily_usd_cap: 1000 ", "daily_usd_cap: .nan ")), "tenants[0].spend.daily_usd_cap", Kind.VALUE, 7, 22);
    assertError(validate(validWith("daily_usd_cap: 1000 ", "daily_usd_cap: .inf ")), "tenants[0].spend.daily_usd_cap", Kind.VALUE, 7, 22);
    assertError(validate(validWith("daily_usd_cap: 1000 ", "daily_usd_cap: 1e999999999 ")), "tenants[0].spend.daily_usd_cap", Kind.VALUE, 7, 22);
    assertValid(validate(validWith("daily_usd_cap: 1000 ", "daily_usd_cap: 0.5 ")));
    assertValid(validate(validWith("daily_usd_cap: 1000 ", "daily_usd_cap: 1_000 ")));
    assertValid(validate(validWith("    spend:\n      daily_usd_cap: 1000          # all prod routes together\n", "")));
  }

  @Test
  void zeroTenantCapIsAWarning() {
    ValidationResult r = validate(validWith("daily_usd_cap: 1000 ", "daily_usd_cap: 0 "));
    assertValid(r);
    assertProblem(r, "tenants[0].spend.daily_usd_cap", Severity.WARNING, Kind.VALUE, 7, 22);
  }

  @Test
  void aHostileSpecWithThousandsOfBadReferencesReportsThemAll() {
    StringBuilder yaml = new StringBuilder("version: 1\ntenants: [{name: prod}]\nroutes:\n");
    for (int i = 0; i < 3000; i++) {
      yaml.append("  - {name: r").append(i).append(", tenant: t").append(i)
          .append(", provider: {type: echo, model: e}, policy: {max_tokens_in: 1, max_tokens_out: 1, budget_daily_usd: 1}}\n");
    }
    yaml.append("services:\n");
    for (int i = 0; i < 3000; i++) {
      yaml.append("  - {label: s").append(i).append(", tenant: prod, allowed_routes: [x").append(i)
          .append("], parapet_token_ref: T").append(i).append("}\n");
    }
    // Every problem still reported (no cap that hides the 6,000th); how fast is a benchmark's job.
    ValidationResult r = validate(yaml.toString());
    assertTrue(r.errors().size() >= 6000);
    assertTrue(r.errors().get(r.errors().size() - 1).message().contains("(3000 in all)"), r.errors().get(r.errors().size() - 1)::toString);
  }

  @Test
  void unknownKeyInsideSpendIsAnError() {
    Problem p = assertError(validate(validWith("daily_usd_cap: 1000 ", "daily_cap_usd: 1000 ")),
        "tenants[0].spend.daily_cap_usd", Kind.UNKNOWN_KEY, 7, 7);
    assertTrue(p.message().contains("expected: one of: daily_usd_cap"), p::toString);
  }

  @Test
  void tenantNotesMustBeText() {
    assertError(validate(validWith("notes: \"primary production tenant\"", "notes: [a]")), "tenants[0].notes", Kind.TYPE, 8, 12);
  }

  @Test
  void usersNeedUsernameRoleAndPasswordRef() {
    String yaml = validWith("  - username: finance\n    role: viewer\n    password_ref: PARAPET_FINANCE_PW", "  - role: auditor");
    ValidationResult r = validate(yaml);
    assertError(r, "users[1].username", Kind.MISSING, 88, 5);
    Problem role = assertError(r, "users[1].role", Kind.VALUE, 88, 11);
    assertEquals("one of: admin, viewer", role.expected());
    assertError(r, "users[1].password_ref", Kind.MISSING, 88, 5);
  }

  @Test
  void usernameAndPasswordRefShapes() {
    assertError(validate(validWith("username: trip", "username: \"trip:x\"")), "users[0].username", Kind.VALUE, 85, 15);
    Problem ref = assertError(validate(validWith("password_ref: PARAPET_FINANCE_PW", "password_ref: finance pw")), "users[1].password_ref", Kind.VALUE, 90, 19);
    assertEquals("a secret reference name like OPENAI_KEY_PROD", ref.expected());
    assertValid(validate(validWith("username: finance", "username: fin.ance@example")));
  }

  @Test
  void noUsersReportsTheFirstUsersFieldsMissing() {
    String yaml = validWith("users:\n  - username: trip\n    role: admin\n    password_ref: PARAPET_ADMIN_TRIP_PW\n"
        + "  - username: finance\n    role: viewer\n    password_ref: PARAPET_FINANCE_PW\n", "");
    ValidationResult r = validate(yaml);
    assertEquals(
        List.of("users[0].username", "users[0].role", "users[0].password_ref"),
        r.errors().stream().map(Problem::path).toList());
    assertTrue(r.errors().stream().allMatch(p -> p.kind() == Kind.MISSING));
  }

  @Test
  void duplicateNamesAreErrorsAtTheSecondOccurrence() {
    Problem tenant = assertError(validate(validWith("  - name: staging\n", "  - name: prod\n")), "tenants[1].name", Kind.DUPLICATE, 9, 11);
    assertTrue(tenant.message().contains("first at tenants[0].name, line 5"), tenant::toString);
    assertError(validate(validWith("username: finance", "username: trip")), "users[1].username", Kind.DUPLICATE, 88, 15);
  }

  @Test
  void servicesAreOptionalButTheirAbsenceIsWarned() {
    String yaml = validWith("services:\n  - label: service-a\n    tenant: prod\n    allowed_routes:\n      - summarizer\n"
        + "      - legal-review\n    parapet_token_ref: SERVICE_A_TOKEN\n  - label: ci-smoke\n    tenant: staging\n"
        + "    allowed_routes: [echo, local-llama]\n    parapet_token_ref: CI_SMOKE_TOKEN\n", "services: []\n");
    ValidationResult r = validate(yaml);
    assertValid(r);
    assertProblem(r, "services", Severity.WARNING, Kind.MISSING, 72, 11);
  }

  @Test
  void aYamlNullIsTheSameAsAbsent() {
    assertError(validate(validWith("  - name: staging\n", "  - name:\n")), "tenants[1].name", Kind.MISSING, 9, 5);
  }
}
