package dev.parapet.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.parapet.core.config.Problem.Kind;
import dev.parapet.core.config.Problem.Mark;
import dev.parapet.core.config.Problem.Severity;
import org.junit.jupiter.api.Test;

class SpecProblemTest {
  @Test
  void formatsLikeACompilerDiagnostic() {
    Problem p = Problem.error(Kind.MISSING, "routes[0].policy.budget_daily_usd", "required", new Mark(12, 5), "a number >= 0");
    assertEquals("parapet.yaml:12:5: routes[0].policy.budget_daily_usd: required", p.format("parapet.yaml"));
    assertEquals("12:5: routes[0].policy.budget_daily_usd: required", p.toString());
  }

  @Test
  void leavesOutWhatIsUnknown() {
    Problem root = Problem.error(Kind.SYNTAX, "", "spec too large: 5 bytes", Mark.UNKNOWN, "");
    assertEquals("parapet.yaml: spec too large: 5 bytes", root.format("parapet.yaml"));
    assertEquals("spec too large: 5 bytes", root.toString());
    Problem lineOnly = new Problem(Severity.ERROR, Kind.VALUE, "version", "2", 3, 0, "1");
    assertEquals("f:3: version: 2", lineOnly.format("f"));
  }

  @Test
  void warningsSayWarning() {
    Problem w = Problem.warning(Kind.VALUE, "routes[0].policy.budget_daily_usd", "0: the route can never spend", new Mark(4, 2));
    assertEquals("p.yaml:4:2: warning: routes[0].policy.budget_daily_usd: 0: the route can never spend", w.format("p.yaml"));
  }

  @Test
  void rejectsNullsAndNegativePositions() {
    assertThrows(NullPointerException.class, () -> new Problem(Severity.ERROR, Kind.VALUE, null, "m", 1, 1, ""));
    assertThrows(IllegalArgumentException.class, () -> new Problem(Severity.ERROR, Kind.VALUE, "", "m", -1, 1, ""));
  }

  @Test
  void quotedValuesCannotInjectControlCharacters() {
    ValidationResult r = Specs.validate(Specs.validWith("name: staging", "name: \"stag\\e[31m\\ning\""));
    Problem p = Specs.only(r, "tenants[1].name");
    assertEquals(-1, p.format("x").indexOf('\u001b'));
    assertEquals(-1, p.format("x").indexOf('\n'));

    ValidationResult key = Specs.validate(Specs.validWith("  - name: staging\n", "  - name: staging\n    \"no\\e[2Jtes\": x\n"));
    Problem unknown = Specs.only(key, "tenants[1][\"no\\u001b[2Jtes\"]");
    assertEquals(Kind.UNKNOWN_KEY, unknown.kind());
    assertEquals(-1, unknown.format("x").indexOf('\u001b'));
  }
}
