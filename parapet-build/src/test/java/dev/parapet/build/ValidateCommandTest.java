package dev.parapet.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.SpecLoader;
import dev.parapet.core.config.SpecValidator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidateCommandTest {
  @TempDir Path dir;

  /** VALID without the summarizer's budget and without users. */
  static final String INCOMPLETE =
      Specs.VALID.replace("      budget_daily_usd: 500\n", "")
          .substring(0, Specs.VALID.replace("      budget_daily_usd: 500\n", "").indexOf("users:"));

  @Test
  void validSpecExitsZero() throws Exception {
    Files.writeString(dir.resolve("parapet.yaml"), Specs.VALID);
    CliRun r = CliRun.run(dir, "validate");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.err().contains("parapet.yaml: valid"), r.toString());
  }

  @Test
  void listsEveryProblemWithFileLineColumn() throws Exception {
    String bad = Specs.VALID
        .replace("budget_daily_usd: 500", "budget_daily_usd: -5")
        .replace("max_tokens_out: 512", "max_tokens_out: lots")
        .replace("allowed_routes: [demo-echo]\n", "allowed_routes: [nowhere]\n");
    Files.writeString(dir.resolve("p.yaml"), bad);
    CliRun r = CliRun.run(dir, "validate", "--spec", "p.yaml");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().matches("(?s).*p\\.yaml:\\d+:\\d+: routes\\[1\\]\\.policy\\.budget_daily_usd: .*"), r.toString());
    assertTrue(r.err().matches("(?s).*p\\.yaml:\\d+:\\d+: routes\\[0\\]\\.policy\\.max_tokens_out: .*"), r.toString());
    assertTrue(r.err().contains("nowhere"), r.toString());
    assertTrue(r.err().contains("p.yaml: 3 errors"), r.toString());
  }

  @Test
  void yamlSyntaxErrorHasLineAndColumn() throws Exception {
    Files.writeString(dir.resolve("parapet.yaml"), "version: 1\ntenants: [\n  - name: x\n");
    CliRun r = CliRun.run(dir, "validate");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().matches("(?s).*parapet\\.yaml:\\d+:\\d+: .*"), r.toString());
  }

  @Test
  void warningsAloneStillExitZero() throws Exception {
    Files.writeString(dir.resolve("parapet.yaml"), Specs.VALID.replace("model: gpt-4o-2024-08-06", "model: gpt-4o"));
    CliRun r = CliRun.run(dir, "validate");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.err().matches("(?s).*parapet\\.yaml:\\d+:\\d+: warning: routes\\[1\\]\\.policy\\.drift_strict.*"), r.toString());
    assertTrue(r.err().contains("parapet.yaml: valid (1 warning)"), r.toString());
  }

  @Test
  void missingFileIsNamed() {
    CliRun r = CliRun.run(dir, "validate", "--spec", "nope.yaml");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("nope.yaml: no such file"), r.toString());
  }

  @Test
  void fillAndWriteCompletesBudgetAndUsers() throws Exception {
    Files.writeString(dir.resolve("parapet.yaml"), INCOMPLETE);
    CliRun before = CliRun.run(dir, "validate");
    assertEquals(1, before.exit(), before.toString());
    assertTrue(before.err().contains("budget_daily_usd"), before.toString());
    assertTrue(before.err().contains("users"), before.toString());

    // budget (a wrong answer first), then users[0]: username, role (a wrong one first), password_ref
    String answers = "lots\n750\ntrip\nowner\nadmin\nPARAPET_ADMIN_TRIP_PW\n";
    CliRun r = CliRun.run(dir, Map.of(), answers, "validate", "--fill", "--write");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.err().contains("Wrote the completed spec"), r.toString());
    assertTrue(r.err().contains("routes[1].policy.budget_daily_usd"), "prompt shows the path:\n" + r);
    String written = Files.readString(dir.resolve("parapet.yaml"));
    var result = SpecValidator.validate(SpecLoader.parse(written, "parapet.yaml"));
    assertTrue(result.isValid(), result.problems() + "\n" + written);
    assertEquals(0, CliRun.run(dir, "validate").exit());
    assertEquals("750", result.spec().get().route("summarizer").get().policy().budgetDailyUsd().toPlainString());
  }

  @Test
  void fillWithoutWritePrintsTheSpecAndLeavesTheFile() throws Exception {
    Files.writeString(dir.resolve("parapet.yaml"), INCOMPLETE);
    CliRun r = CliRun.run(dir, Map.of(), "750\ntrip\nadmin\nPARAPET_ADMIN_TRIP_PW\n", "validate", "--fill");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("budget_daily_usd: 750"), r.toString());
    assertTrue(r.err().contains("NOT written"), r.toString());
    assertEquals(INCOMPLETE, Files.readString(dir.resolve("parapet.yaml")));
  }

  @Test
  void fillEndingEarlyExitsOne() throws Exception {
    Files.writeString(dir.resolve("parapet.yaml"), INCOMPLETE);
    CliRun r = CliRun.run(dir, Map.of(), "750\n", "validate", "--fill", "--write");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("input ended"), r.toString());
    assertEquals(INCOMPLETE, Files.readString(dir.resolve("parapet.yaml")));
  }

  @Test
  void fillOnACompleteSpecChangesNothing() throws Exception {
    Files.writeString(dir.resolve("parapet.yaml"), Specs.VALID);
    CliRun r = CliRun.run(dir, "validate", "--fill", "--write");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.err().contains("Nothing was missing"), r.toString());
    assertEquals(Specs.VALID, Files.readString(dir.resolve("parapet.yaml")));
  }

  @Test
  void fillRefusesAFileThatDoesNotParse() throws Exception {
    Files.writeString(dir.resolve("parapet.yaml"), "version: 1\ntenants: [\n");
    CliRun r = CliRun.run(dir, Map.of(), "x\n", "validate", "--fill", "--write");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("did not parse"), r.toString());
  }

  @Test
  void fillCompletesAnEmptyFile() throws Exception {
    Files.writeString(dir.resolve("parapet.yaml"), "");
    // In the order the validator reports them: version, tenant, route, policy, user.
    String answers = "1\nprod\ndemo\nprod\necho\necho-1\n100\n100\n1\ntrip\nadmin\nTRIP_PW\n";
    CliRun r = CliRun.run(dir, Map.of(), answers, "validate", "--fill", "--write");
    assertEquals(0, r.exit(), r.toString());
    assertEquals(0, CliRun.run(dir, "validate").exit());
    assertTrue(Files.readString(dir.resolve("parapet.yaml")).contains("username: trip"));
  }

  @Test
  void wizardOutputValidates() throws Exception {
    CliRun r = CliRun.run(dir, Map.of(), InitCommandTest.ALL_DEFAULTS, "init");
    assertEquals(0, r.exit(), r.toString());
    CliRun v = CliRun.run(dir, "validate");
    assertEquals(0, v.exit(), v.toString());
    assertFalse(v.err().contains("error"), v.toString());
  }
}
