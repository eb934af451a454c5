package dev.parapet.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plants canary secret values and runs every command, successful and failing, asserting that no
 * canary appears on stdout or stderr. (The master key and the blob are the build's output by
 * design; the canaries are the secrets behind the refs.)
 */
class SecretLeakTest {
  @TempDir Path dir;

  @Test
  void noCanaryInAnyOutput() throws Exception {
    Files.writeString(dir.resolve("parapet.yaml"), Specs.VALID);
    Files.writeString(dir.resolve("secrets.env"), Specs.dotenv(Specs.secrets()));
    List<CliRun> runs = new ArrayList<>();

    runs.add(CliRun.run(dir, "validate"));
    runs.add(CliRun.run(dir, "build", "--secrets", "secrets.env", "--out", "state.env"));
    runs.add(CliRun.run(dir, "build", "--secrets", "secrets.env"));
    runs.add(CliRun.run(dir, Specs.secrets(), "", "build"));
    runs.add(CliRun.run(dir, Specs.secrets(), ""));
    runs.add(CliRun.run(dir, Map.of(), String.join("\n", Specs.secrets().values()) + "\n", "build", "--secrets", "prompt"));
    runs.add(CliRun.run(dir, "inspect", "--state-file", "state.env"));
    runs.add(CliRun.run(dir, "diff", "state.env", "state.env"));

    // A second state with one rotated secret and one changed budget, for diff.
    Files.writeString(dir.resolve("master.key"),
        EnvFile.read(dir.resolve("state.env"), "s").values().get("PARAPET_MASTER_KEY"));
    Map<String, String> rotated = new HashMap<>(Specs.secrets());
    rotated.put("SERVICE_A_TOKEN", "tok-CANARYrotated-0123456789abcdefghijklmnopq");
    Files.writeString(dir.resolve("rotated.env"), Specs.dotenv(rotated));
    Files.writeString(dir.resolve("v2.yaml"), Specs.VALID.replace("budget_daily_usd: 5\n", "budget_daily_usd: 6\n"));
    runs.add(CliRun.run(dir, "build", "--spec", "v2.yaml", "--secrets", "rotated.env", "--master-key-file", "master.key", "--out", "v2.env"));
    runs.add(CliRun.run(dir, "diff", "state.env", "v2.env"));

    // Failures: missing secrets, malformed secret files, weak or conflicting secrets, broken state.
    Map<String, String> partial = new HashMap<>(Specs.secrets());
    partial.remove("SERVICE_B_TOKEN");
    runs.add(CliRun.run(dir, partial, "", "build"));
    Files.writeString(dir.resolve("broken.env"), "OPENAI_KEY_PROD=\"" + Specs.OPENAI_KEY + "\n" + Specs.TOKEN_A + "\n");
    runs.add(CliRun.run(dir, "build", "--secrets", "broken.env"));
    Map<String, String> shared = new HashMap<>(Specs.secrets());
    shared.put("SERVICE_B_TOKEN", Specs.TOKEN_A);
    runs.add(CliRun.run(dir, shared, "", "build"));
    Map<String, String> weak = new HashMap<>(Specs.secrets());
    weak.put("PARAPET_ADMIN_TRIP_PW", "CANARYweak");
    runs.add(CliRun.run(dir, weak, "", "build"));
    Files.writeString(dir.resolve("bad-key.env"), Specs.OPENAI_KEY + "\n");
    runs.add(CliRun.run(dir, Specs.secrets(), "", "build", "--master-key-file", "bad-key.env"));
    Map<String, String> badEnvKey = new HashMap<>(Specs.secrets());
    badEnvKey.put("PARAPET_MASTER_KEY", Specs.ADMIN_PW);
    runs.add(CliRun.run(dir, badEnvKey, "", "build"));
    Files.writeString(dir.resolve("tampered.env"),
        Files.readString(dir.resolve("state.env")).replaceFirst("STATE=(.{20})(.)", "STATE=$1" + "A"));
    runs.add(CliRun.run(dir, "inspect", "--state-file", "tampered.env"));
    runs.add(CliRun.run(dir, "diff", "state.env", "tampered.env"));
    Files.writeString(dir.resolve("bad.yaml"), Specs.VALID.replace("SERVICE_A_TOKEN", Specs.OPENAI_KEY));
    runs.add(CliRun.run(dir, "validate", "--spec", "bad.yaml"));

    // Secrets pasted where their names belong: the wizard and --fill re-ask without echoing them.
    Path fresh = Files.createDirectory(dir.resolve("fresh"));
    String wizard = "\n".repeat(5) + Specs.OPENAI_KEY + "\n" + "\n".repeat(40);
    CliRun init = CliRun.run(fresh, Map.of(), wizard, "init");
    assertEquals(0, init.exit(), init.toString());
    runs.add(init);
    Files.writeString(dir.resolve("nousers.yaml"), Specs.VALID.substring(0, Specs.VALID.indexOf("users:")));
    CliRun fill = CliRun.run(dir, Map.of(), "trip\nadmin\n" + Specs.ADMIN_PW + "\nPARAPET_ADMIN_TRIP_PW\n",
        "validate", "--spec", "nousers.yaml", "--fill");
    assertEquals(0, fill.exit(), fill.toString());
    runs.add(fill);

    assertEquals(0, runs.get(1).exit(), runs.get(1).toString());
    assertEquals(0, runs.get(9).exit(), runs.get(9).toString());
    for (CliRun r : runs) {
      for (String canary : new String[] {Specs.OPENAI_KEY, Specs.TOKEN_A, Specs.TOKEN_B, Specs.ADMIN_PW,
          "tok-CANARYrotated", "CANARYweak"}) {
        assertFalse(r.all().contains(canary), "leaked " + canary + " in:\n" + r);
      }
    }
  }
}
