package dev.parapet.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitCommandTest {
  @TempDir Path dir;

  /** Enter everywhere: every default is a working answer. */
  static final String ALL_DEFAULTS = "\n".repeat(40);

  @Test
  void defaultsWriteAValidStarterSpecAndListTheSecrets() throws Exception {
    CliRun r = CliRun.run(dir, Map.of(), ALL_DEFAULTS, "init");
    assertEquals(0, r.exit(), r.toString());
    String yaml = Files.readString(dir.resolve("parapet.yaml"));
    assertTrue(yaml.contains("model: gpt-4o-2024-08-06"), yaml);
    assertTrue(yaml.contains("provider_key_ref: OPENAI_KEY_PROD"), yaml);
    assertTrue(yaml.contains("budget_daily_usd: 500"), yaml);
    assertTrue(r.out().contains(
        "Create these secrets in your secret manager: OPENAI_KEY_PROD, SERVICE_A_TOKEN, PARAPET_ADMIN_PW"), r.toString());
    assertTrue(r.out().contains("Do not commit their values"), r.toString());
    assertTrue(r.out().contains("openssl rand -base64 32"), r.toString());
    assertTrue(r.err().contains("[prod]"), "prompts show defaults in brackets");
  }

  @Test
  void customAnswersWithReAsksOnInvalidInput() throws Exception {
    String answers = String.join("\n",
        "Staging!", "staging",  // invalid name re-asked
        "none",                 // no tenant cap
        "chat",
        "mistral", "anthropic", // unknown provider re-asked
        "",                     // default anthropic model
        "",                     // key ref default ANTHROPIC_KEY_STAGING
        "-3", "42.5",           // negative budget re-asked
        "0", "100",             // max in: 0 re-asked
        "50",
        "block",
        "EMAIL, SSN", "email,jwt",
        "no",
        "billing-worker",
        "other", "chat",        // undefined route re-asked
        "",                     // token ref default BILLING_WORKER_TOKEN
        "trip",
        "",
        "");
    CliRun r = CliRun.run(dir, Map.of(), answers, "init", "--spec", "staging.yaml");
    assertEquals(0, r.exit(), r.toString());
    String yaml = Files.readString(dir.resolve("staging.yaml"));
    assertTrue(yaml.contains("name: staging"), yaml);
    assertFalse(yaml.contains("daily_usd_cap"), yaml);
    assertTrue(yaml.contains("model: claude-sonnet-4-5-20250929"), yaml);
    assertTrue(yaml.contains("budget_daily_usd: 42.5"), yaml);
    assertTrue(yaml.contains("- JWT"), yaml);
    assertTrue(yaml.contains("drift_strict: false"), yaml);
    assertTrue(r.err().contains("(expected: openai, anthropic, local or echo)"), r.toString());
    assertTrue(r.err().contains("\"SSN\" (expected one of:"), r.toString());
    assertTrue(r.out().contains("ANTHROPIC_KEY_STAGING, BILLING_WORKER_TOKEN, PARAPET_ADMIN_TRIP_PW"), r.toString());
  }

  @Test
  void localProviderAsksForBaseUrlAndPricing() throws Exception {
    String answers = String.join("\n", "", "", "", "local", "", "ftp://x", "", "0.1", "0.2", "") + "\n".repeat(30);
    CliRun r = CliRun.run(dir, Map.of(), answers, "init");
    assertEquals(0, r.exit(), r.toString());
    String yaml = Files.readString(dir.resolve("parapet.yaml"));
    assertTrue(yaml.contains("base_url: http://127.0.0.1:11434/v1"), yaml);
    assertTrue(yaml.contains("input_per_1m_usd: 0.1"), yaml);
    assertFalse(yaml.contains("provider_key_ref"), yaml);
  }

  @Test
  void inputEndingEarlyExitsOneAndWritesNothing() {
    CliRun r = CliRun.run(dir, Map.of(), "prod\n1000\n", "init");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("input ended"), r.toString());
    assertFalse(Files.exists(dir.resolve("parapet.yaml")));
  }

  @Test
  void endlessInvalidAnswersGiveUp() {
    CliRun r = CliRun.run(dir, Map.of(), "BAD!\n".repeat(20), "init");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("after 5 attempts"), r.toString());
  }

  @Test
  void refusesToOverwriteAnExistingSpec() throws Exception {
    Files.writeString(dir.resolve("parapet.yaml"), "version: 1\n");
    CliRun r = CliRun.run(dir, Map.of(), ALL_DEFAULTS, "init");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("already exists; refusing to overwrite"), r.toString());
    assertEquals("version: 1\n", Files.readString(dir.resolve("parapet.yaml")));
  }

  @Test
  void noArgumentsWithoutASpecRunsTheWizard() throws Exception {
    CliRun r = CliRun.run(dir, Map.of(), ALL_DEFAULTS);
    assertEquals(0, r.exit(), r.toString());
    assertTrue(Files.exists(dir.resolve("parapet.yaml")));
  }
}
