package dev.parapet.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildCommandTest {
  static final Pattern TWO_LINES =
      Pattern.compile("PARAPET_BOOTSTRAP_STATE=[A-Za-z0-9+/]+=*\nPARAPET_MASTER_KEY=[A-Za-z0-9+/]{43}=\n");
  static final Pattern SHA = Pattern.compile("config_sha256=([0-9a-f]{64})\n");

  @TempDir Path dir;

  @BeforeEach
  void files() throws Exception {
    Files.writeString(dir.resolve("parapet.yaml"), Specs.VALID);
    Files.writeString(dir.resolve("secrets.env"), Specs.dotenv(Specs.secrets()));
  }

  static String sha(CliRun r) {
    Matcher m = SHA.matcher(r.err());
    assertTrue(m.find(), r.toString());
    return m.group(1);
  }

  @Test
  void secretsFileToStdoutPrintsExactlyTwoLines() {
    CliRun r = CliRun.run(dir, "build", "--secrets", "secrets.env");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(TWO_LINES.matcher(r.out()).matches(), r.out());
    sha(r);
    assertTrue(r.err().contains("OPENAI_KEY_PROD, SERVICE_A_TOKEN, SERVICE_B_TOKEN, PARAPET_ADMIN_TRIP_PW"), r.toString());
    assertTrue(r.err().contains("new master key was generated"), r.toString());
  }

  @Test
  void secretsFromInjectedEnvironmentByDefault() {
    CliRun r = CliRun.run(dir, Specs.secrets(), "", "build");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(TWO_LINES.matcher(r.out()).matches(), r.out());
  }

  @Test
  void secretsFromPrompt() {
    String answers = String.join("\n", Specs.secrets().values()) + "\n";
    CliRun r = CliRun.run(dir, Map.of(), answers, "build", "--secrets", "prompt");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(TWO_LINES.matcher(r.out()).matches(), r.out());
    assertTrue(r.err().contains("Value of OPENAI_KEY_PROD"), r.toString());
  }

  @Test
  void promptEndingEarlyExitsOneAndWritesNothing() {
    CliRun r = CliRun.run(dir, Map.of(), Specs.OPENAI_KEY + "\n", "build", "--secrets", "prompt", "--out", "o.env");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("input ended"), r.toString());
    assertFalse(Files.exists(dir.resolve("o.env")));
  }

  @Test
  void wizardSpecBuildsOnceItsSecretsExist() throws Exception {
    Path fresh = Files.createDirectory(dir.resolve("fresh"));
    assertEquals(0, CliRun.run(fresh, Map.of(), InitCommandTest.ALL_DEFAULTS, "init").exit());
    Map<String, String> env = Map.of(
        "OPENAI_KEY_PROD", Specs.OPENAI_KEY, "SERVICE_A_TOKEN", Specs.TOKEN_A, "PARAPET_ADMIN_PW", Specs.ADMIN_PW);
    CliRun r = CliRun.run(fresh, env, "", "build");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(TWO_LINES.matcher(r.out()).matches(), r.out());
  }

  @Test
  void outIntoAMissingDirectoryFails() {
    CliRun r = CliRun.run(dir, "build", "--secrets", "secrets.env", "--out", "nope/o.env");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("nope/o.env: cannot write (its directory does not exist)"), r.toString());
    assertEquals("", r.out());
    assertFalse(Files.exists(dir.resolve("nope")));
  }

  @Test
  void outUnderAFileSaysItsParentIsNotADirectory() throws Exception {
    Files.writeString(dir.resolve("plain"), "x");
    CliRun r = CliRun.run(dir, "build", "--secrets", "secrets.env", "--out", "plain/o.env");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("plain/o.env: cannot write (its parent is not a directory)"), r.toString());
    assertEquals("x", Files.readString(dir.resolve("plain")));
  }

  @Test
  void outAtADirectorySaysSoAndWritesNothing() throws Exception {
    Path target = Files.createDirectory(dir.resolve("deploy"));
    CliRun r = CliRun.run(dir, "build", "--secrets", "secrets.env", "--out", "deploy");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("deploy: cannot write (it is a directory; name a file in it)"), r.toString());
    assertFalse(r.err().contains("FileSystemException"), r.toString());
    assertEquals("", r.out());
    try (var files = Files.list(target)) {
      assertEquals(0, files.count(), "nothing written into the directory");
    }
    try (var files = Files.list(dir)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp file left");
    }
    // Refused before any secret is asked for.
    CliRun prompt = CliRun.run(dir, Map.of(), Specs.OPENAI_KEY + "\n", "build", "--secrets", "prompt", "--out", "deploy");
    assertEquals(1, prompt.exit(), prompt.toString());
    assertTrue(prompt.err().contains("deploy: cannot write (it is a directory; name a file in it)"), prompt.toString());
    assertFalse(prompt.err().contains("Value of"), prompt.toString());
  }

  @Test
  void outFileIsOwnerOnlyAndStdoutStaysEmpty() throws Exception {
    CliRun r = CliRun.run(dir, "build", "--secrets", "secrets.env", "--out", "parapet.env");
    assertEquals(0, r.exit(), r.toString());
    assertEquals("", r.out());
    Path out = dir.resolve("parapet.env");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
    assertTrue(TWO_LINES.matcher(Files.readString(out)).matches());
    try (var files = Files.list(dir)) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temp file left");
    }
  }

  @Test
  void sameMasterKeyFileGivesSameChecksumAndKeyLine() throws Exception {
    CliRun first = CliRun.run(dir, "build", "--secrets", "secrets.env", "--out", "first.env");
    assertEquals(0, first.exit(), first.toString());
    Files.writeString(dir.resolve("master.key"),
        Files.readString(dir.resolve("first.env")).lines().filter(l -> l.startsWith("PARAPET_MASTER_KEY=")).findFirst().orElseThrow()
            .substring("PARAPET_MASTER_KEY=".length()) + "\n");
    CliRun a = CliRun.run(dir, "build", "--secrets", "secrets.env", "--master-key-file", "master.key", "--out", "a.env");
    CliRun b = CliRun.run(dir, "build", "--secrets", "secrets.env", "--master-key-file", "first.env", "--out", "b.env");
    assertEquals(0, a.exit(), a.toString());
    assertEquals(0, b.exit(), b.toString());
    assertEquals(sha(first), sha(a));
    assertEquals(sha(a), sha(b));
    assertEquals(keyLine(dir.resolve("a.env")), keyLine(dir.resolve("first.env")));
    assertEquals(keyLine(dir.resolve("b.env")), keyLine(dir.resolve("first.env")));
    assertFalse(Files.readString(dir.resolve("a.env")).equals(Files.readString(dir.resolve("b.env"))), "fresh nonce per seal");
  }

  @Test
  void masterKeyFromEnvironment() throws Exception {
    CliRun first = CliRun.run(dir, "build", "--secrets", "secrets.env", "--out", "first.env");
    Map<String, String> env = new HashMap<>();
    env.put("PARAPET_MASTER_KEY", keyLine(dir.resolve("first.env")).substring("PARAPET_MASTER_KEY=".length()));
    CliRun again = CliRun.run(dir, env, "", "build", "--secrets", "secrets.env");
    assertEquals(0, again.exit(), again.toString());
    assertTrue(again.out().endsWith(keyLine(dir.resolve("first.env")) + "\n"));
    assertEquals(sha(first), sha(again));
  }

  @Test
  void badMasterKeyFailsWithoutWriting() throws Exception {
    Files.writeString(dir.resolve("master.key"), "not-a-key\n");
    CliRun r = CliRun.run(dir, "build", "--secrets", "secrets.env", "--master-key-file", "master.key", "--out", "o.env");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("master.key: PARAPET_MASTER_KEY"), r.toString());
    assertFalse(Files.exists(dir.resolve("o.env")));
  }

  /**
   * {@code head -c 32 /dev/urandom > master.key} is the natural first try at a key file: the
   * refusal says the file is not text and what it must hold, not "cannot read
   * (MalformedInputException)", which sends the operator to check the file's permissions.
   */
  @Test
  void aRawBinaryMasterKeyFileIsRefusedAsNotText() throws Exception {
    byte[] raw = new byte[32];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = (byte) (0x80 + i); // no UTF-8 sequence starts with a continuation byte
    }
    Files.write(dir.resolve("master.key"), raw);
    CliRun r = CliRun.run(dir, "build", "--secrets", "secrets.env", "--master-key-file", "master.key", "--out", "o.env");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("master.key: not UTF-8 text"), r.toString());
    assertTrue(r.err().contains("base64"), r.toString());
    assertFalse(r.err().contains("MalformedInputException"), r.toString());
    assertFalse(Files.exists(dir.resolve("o.env")));
  }

  @Test
  void everyMissingSecretNamedAndNothingWritten() throws Exception {
    Map<String, String> some = new HashMap<>(Specs.secrets());
    some.remove("OPENAI_KEY_PROD");
    some.remove("PARAPET_ADMIN_TRIP_PW");
    Files.writeString(dir.resolve("secrets.env"), Specs.dotenv(some));
    CliRun r = CliRun.run(dir, "build", "--secrets", "secrets.env", "--out", "o.env");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("OPENAI_KEY_PROD"), r.toString());
    assertTrue(r.err().contains("PARAPET_ADMIN_TRIP_PW"), r.toString());
    assertTrue(r.err().contains("2 secrets missing"), r.toString());
    assertFalse(Files.exists(dir.resolve("o.env")));
    assertEquals("", r.out());
  }

  @Test
  void sharedTokenIsRefusedNamingRefsOnly() {
    Map<String, String> env = new HashMap<>(Specs.secrets());
    env.put("SERVICE_B_TOKEN", Specs.TOKEN_A);
    CliRun r = CliRun.run(dir, env, "", "build");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("SERVICE_B_TOKEN") || r.err().contains("service-b"), r.toString());
    assertEquals("", r.out());
    assertFalse(r.all().contains(Specs.TOKEN_A));
  }

  @Test
  void tokenNoCallerCouldPresentIsRefusedAndNothingWritten() throws Exception {
    Map<String, String> some = new HashMap<>(Specs.secrets());
    some.put("SERVICE_B_TOKEN", "tok CANARYspaced 0123456789abcdefghijklmnop");
    Files.writeString(dir.resolve("secrets.env"), Specs.dotenv(some));
    CliRun r = CliRun.run(dir, "build", "--secrets", "secrets.env", "--out", "o.env");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("SERVICE_B_TOKEN cannot be sent as a bearer token"), r.toString());
    assertTrue(r.err().contains("nothing written"), r.toString());
    assertFalse(r.all().contains("CANARY"), r.toString());
    assertFalse(Files.exists(dir.resolve("o.env")));
    assertEquals("", r.out());
  }

  @Test
  void providerKeyWithALineBreakIsRefusedAndNothingWritten() throws Exception {
    Files.writeString(dir.resolve("secrets.env"), Specs.dotenv(Specs.secrets())
        .replace("OPENAI_KEY_PROD='" + Specs.OPENAI_KEY + "'", "OPENAI_KEY_PROD=\"" + Specs.OPENAI_KEY + "\\n\""));
    CliRun r = CliRun.run(dir, "build", "--secrets", "secrets.env", "--out", "o.env");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("OPENAI_KEY_PROD cannot be sent in a request header"), r.toString());
    assertFalse(r.all().contains("CANARY"), r.toString());
    assertFalse(Files.exists(dir.resolve("o.env")));
  }

  @Test
  void invalidSpecFailsListingProblems() throws Exception {
    Files.writeString(dir.resolve("parapet.yaml"), Specs.VALID.replace("budget_daily_usd: 500", "budget_daily_usd: -1"));
    CliRun r = CliRun.run(dir, "build", "--secrets", "secrets.env", "--out", "o.env");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().matches("(?s).*parapet\\.yaml:\\d+:\\d+: routes\\[1\\]\\.policy\\.budget_daily_usd: .*"), r.toString());
    assertFalse(Files.exists(dir.resolve("o.env")));
  }

  @Test
  void malformedSecretsFileNamesTheLineNumberOnly() throws Exception {
    Files.writeString(dir.resolve("secrets.env"), "OPENAI_KEY_PROD='" + Specs.OPENAI_KEY + "\n");
    CliRun r = CliRun.run(dir, "build", "--secrets", "secrets.env");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("secrets.env:1: "), r.toString());
    assertFalse(r.all().contains("CANARY"), r.toString());
  }

  @Test
  void brokenSecretsFileAndBadKeyAreReportedTogether() throws Exception {
    Files.writeString(dir.resolve("secrets.env"), "no equals sign here\n");
    Files.writeString(dir.resolve("master.key"), "short\n");
    CliRun r = CliRun.run(dir, "build", "--secrets", "secrets.env", "--master-key-file", "master.key");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.err().contains("secrets.env:1: "), r.toString());
    assertTrue(r.err().contains("master.key: PARAPET_MASTER_KEY"), r.toString());
  }

  @Test
  void noArgumentsWithAValidSpecBuildsFromTheEnvironment() {
    CliRun r = CliRun.run(dir, Specs.secrets(), "");
    assertEquals(0, r.exit(), r.toString());
    assertTrue(TWO_LINES.matcher(r.out()).matches(), r.out());
  }

  static String keyLine(Path envFile) throws Exception {
    return Files.readString(envFile).lines().filter(l -> l.startsWith("PARAPET_MASTER_KEY=")).findFirst().orElseThrow();
  }
}
