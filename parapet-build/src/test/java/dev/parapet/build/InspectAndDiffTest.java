package dev.parapet.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectAndDiffTest {
  @TempDir Path dir;
  String sha;

  @BeforeEach
  void built() throws Exception {
    Files.writeString(dir.resolve("parapet.yaml"), Specs.VALID);
    Files.writeString(dir.resolve("secrets.env"), Specs.dotenv(Specs.secrets()));
    CliRun r = CliRun.run(dir, "build", "--secrets", "secrets.env", "--out", "state.env");
    assertEquals(0, r.exit(), r.toString());
    sha = BuildCommandTest.sha(r);
  }

  @Test
  void inspectShowsTheSameChecksumAndAMaskedSummary() {
    CliRun r = CliRun.run(dir, "inspect", "--state-file", "state.env");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().startsWith("config_sha256=" + sha + "\n"), r.toString());
    assertTrue(r.out().contains("prod: daily cap $1000/day"), r.toString());
    assertTrue(r.out().contains("provider: openai, model gpt-4o-2024-08-06"), r.toString());
    assertTrue(r.out().contains("pricing: $2.5 in ($1.25 cached) / $10 out per 1M tokens (built-in table"), r.toString());
    assertTrue(r.out().contains("provider key: OPENAI_KEY_PROD=****"), r.toString());
    assertTrue(r.out().contains("budget $500/day"), r.toString());
    assertTrue(r.out().contains("redaction: block [API_KEY, EMAIL]"), r.toString());
    assertTrue(r.out().contains("service-a: tenant prod, routes [demo-echo, summarizer], token SERVICE_A_TOKEN=****"), r.toString());
    assertTrue(r.out().contains("trip: role admin, password PARAPET_ADMIN_TRIP_PW=****"), r.toString());
    assertFalse(r.out().contains("argon2"), "no password hash");
  }

  /** A wrong path (a device, a disk image) is an error naming the file, never a heap exhausted. */
  @Test
  void anInputFileTooLargeForItsKindIsNamed() throws Exception {
    Files.write(dir.resolve("big"), new byte[EnvFile.MAX_BYTES + 1]);
    // each command line, after the file its error names
    for (List<String> run : List.of(
        List.of("big", "inspect", "--state-file", "big"),
        List.of("big", "diff", "state.env", "big"),
        List.of("big", "build", "--secrets", "big", "--out", "o.env"),
        List.of("/dev/zero", "build", "--secrets", "secrets.env", "--master-key-file", "/dev/zero", "--out", "o.env"))) {
      CliRun r = CliRun.run(dir, run.subList(1, run.size()).toArray(String[]::new));
      assertEquals(1, r.exit(), r.toString());
      assertTrue(r.err().contains(run.get(0) + ": too large (expected: at most 1048576 bytes)"), r.toString());
      assertFalse(Files.exists(dir.resolve("o.env")), r.toString());
    }
  }

  @Test
  void inspectFromTheEnvironment() throws Exception {
    CliRun r = CliRun.run(dir, EnvFile.read(dir.resolve("state.env"), "state.env").values(), "", "inspect");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().startsWith("config_sha256=" + sha), r.toString());
    CliRun none = CliRun.run(dir, "inspect");
    assertEquals(1, none.exit(), none.toString());
    assertTrue(none.err().contains("PARAPET_BOOTSTRAP_STATE and PARAPET_MASTER_KEY not set"), none.toString());
  }

  @Test
  void wrongKeyIsNamed() throws Exception {
    CliRun other = CliRun.run(dir, "build", "--secrets", "secrets.env", "--out", "other.env");
    assertEquals(0, other.exit());
    Map<String, String> mixed = new HashMap<>(EnvFile.read(dir.resolve("state.env"), "x").values());
    mixed.put("PARAPET_MASTER_KEY", EnvFile.read(dir.resolve("other.env"), "x").values().get("PARAPET_MASTER_KEY"));
    writeState("mixed.env", mixed);
    assertFailure("mixed.env", "wrong key");
  }

  @Test
  void flippedByteIsTampered() throws Exception {
    Map<String, String> v = state();
    byte[] blob = Base64.getDecoder().decode(v.get("PARAPET_BOOTSTRAP_STATE"));
    blob[blob.length - 5] ^= 0x01;
    v.put("PARAPET_BOOTSTRAP_STATE", Base64.getEncoder().encodeToString(blob));
    writeState("tampered.env", v);
    assertFailure("tampered.env", "tampered");
  }

  @Test
  void cutBlobIsTruncated() throws Exception {
    Map<String, String> v = state();
    byte[] blob = Base64.getDecoder().decode(v.get("PARAPET_BOOTSTRAP_STATE"));
    v.put("PARAPET_BOOTSTRAP_STATE", Base64.getEncoder().encodeToString(Arrays.copyOf(blob, blob.length / 2)));
    writeState("truncated.env", v);
    assertFailure("truncated.env", "truncated");
  }

  @Test
  void notAStateFile() throws Exception {
    Files.writeString(dir.resolve("junk.env"), "FOO=bar\n");
    assertFailure("junk.env", "no PARAPET_BOOTSTRAP_STATE= line");
    assertFailure("missing.env", "missing.env: no such file");
  }

  @Test
  void diffShowsPolicyChangesAndSecretsOnlyAsChanged() throws Exception {
    String key = state().get("PARAPET_MASTER_KEY");
    Files.writeString(dir.resolve("master.key"), key);
    String changed = Specs.VALID
        .replace("budget_daily_usd: 500", "budget_daily_usd: 800")
        .replace("""
              - label: service-b
                tenant: prod
                allowed_routes: [demo-echo]
                parapet_token_ref: SERVICE_B_TOKEN
            """, "");
    Files.writeString(dir.resolve("parapet.yaml"), changed);
    Map<String, String> secrets = new HashMap<>(Specs.secrets());
    secrets.put("OPENAI_KEY_PROD", "sk-CANARYrotatedKEY-0123456789abcdef");
    Files.writeString(dir.resolve("new-secrets.env"), Specs.dotenv(secrets));
    CliRun built = CliRun.run(dir, "build", "--secrets", "new-secrets.env", "--master-key-file", "master.key", "--out", "new.env");
    assertEquals(0, built.exit(), built.toString());

    CliRun r = CliRun.run(dir, "diff", "state.env", "new.env");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("old config_sha256=" + sha), r.toString());
    assertTrue(r.out().contains("new config_sha256=" + BuildCommandTest.sha(built)), r.toString());
    assertTrue(r.out().contains("routes.summarizer.policy.budget_daily_usd: 500 -> 800"), r.toString());
    assertTrue(r.out().contains("- services.service-b"), r.toString());
    assertTrue(r.out().contains("secrets.OPENAI_KEY_PROD: changed"), r.toString());
    assertTrue(r.out().contains("secrets.SERVICE_A_TOKEN: unchanged"), r.toString());
    assertTrue(r.out().contains("secrets.PARAPET_ADMIN_TRIP_PW: unchanged"), r.toString());
    assertTrue(r.out().contains("- secrets.SERVICE_B_TOKEN"), r.toString());
    assertFalse(r.all().contains("CANARY"), r.toString());

    CliRun same = CliRun.run(dir, "diff", "state.env", "state.env");
    assertEquals(0, same.exit(), same.toString());
    assertTrue(same.out().contains("identical configs"), same.toString());
  }

  @Test
  void diffWithAnUnopenableStateExitsOne() throws Exception {
    Files.writeString(dir.resolve("junk.env"), "PARAPET_BOOTSTRAP_STATE=AAAA\n");
    CliRun r = CliRun.run(dir, "diff", "state.env", "junk.env");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("junk.env"), r.toString());
  }

  private Map<String, String> state() throws CommandFailure {
    return new HashMap<>(EnvFile.read(dir.resolve("state.env"), "state.env").values());
  }

  private void writeState(String name, Map<String, String> v) throws Exception {
    Files.writeString(dir.resolve(name), "PARAPET_BOOTSTRAP_STATE=" + v.get("PARAPET_BOOTSTRAP_STATE")
        + "\nPARAPET_MASTER_KEY=" + v.get("PARAPET_MASTER_KEY") + "\n");
  }

  private void assertFailure(String file, String reason) {
    CliRun r = CliRun.run(dir, "inspect", "--state-file", file);
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains(reason), r.toString());
    assertEquals(1, r.err().lines().count(), "one line: " + r);
    assertEquals("", r.out());
  }
}
