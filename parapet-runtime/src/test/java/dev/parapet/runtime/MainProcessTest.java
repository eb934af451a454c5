package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.KeyPurpose;
import dev.parapet.core.seal.MasterKey;
import dev.parapet.core.seal.Sealer;
import dev.parapet.core.store.StoreOptions;
import dev.parapet.core.store.TelemetryStore;
import dev.parapet.runtime.testing.ChildMain;
import dev.parapet.runtime.testing.TestConfigs;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Main as the operator runs it: a separate JVM, environment in, exit code and streams out. */
class MainProcessTest {
  @TempDir Path tmp;

  private Process launch(Map<String, String> env) throws IOException {
    return ChildMain.launch(env, tmp.resolve("out.txt"), tmp.resolve("err.txt"));
  }

  private String read(String name) throws IOException {
    return Files.readString(tmp.resolve(name), StandardCharsets.UTF_8);
  }

  @Test
  void sigtermDrainsAndExitsZero() throws Exception {
    HydratedConfig config = TestConfigs.config();
    MasterKey key = MasterKey.generate(new SecureRandom());
    int port = ChildMain.freePort();
    Map<String, String> env = ChildMain.sealedEnv(config, key, port, tmp.resolve("data"));
    env.put("PARAPET_LOG_FORMAT", "json");
    Process p = launch(env);
    try {
      HttpResponse<String> health = ChildMain.awaitHealth(p, port, 100);
      assertTrue(health != null, "never came up: " + read("err.txt"));
      assertTrue(health.body().contains(Sealer.configSha256(config)));
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(20, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue(), read("err.txt"));
    } finally {
      p.destroyForcibly();
    }
    String out = read("out.txt");
    assertTrue(out.contains("config_sha256=" + Sealer.configSha256(config)), out);
    ObjectMapper json = new ObjectMapper();
    for (String line : out.lines().toList()) {
      json.readTree(line); // PARAPET_LOG_FORMAT=json: every line is a JSON object
    }
    assertFalse(out.contains(key.toBase64()));
    assertEquals("", read("err.txt"));
  }

  @Test
  void bootFailureIsOneLineAndExitOne() throws Exception {
    Process p = launch(Map.of("PARAPET_MASTER_KEY", "x"));
    assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    assertEquals(1, p.exitValue());
    List<String> err = read("err.txt").lines().toList();
    assertEquals(List.of("parapet: PARAPET_BOOTSTRAP_STATE: required (not set)"), err);
  }

  @Test
  void anUnusableUpstreamCaFileStillRefusesToBootWithOneLine() throws Exception {
    // The TLS context is built after the port opens, but the CA file is read and parsed at boot.
    HydratedConfig config = TestConfigs.config();
    MasterKey key = MasterKey.generate(new SecureRandom());
    Path empty = Files.writeString(tmp.resolve("empty.pem"), "no certificate here\n");
    Path missing = tmp.resolve("missing.pem");
    for (Path ca : List.of(empty, missing)) {
      Process p = launch(Map.of(
          "PARAPET_BOOTSTRAP_STATE", Sealer.seal(config, key, new SecureRandom()),
          "PARAPET_MASTER_KEY", key.toBase64(),
          "PARAPET_PORT", "0",
          "PARAPET_BIND", "127.0.0.1",
          "PARAPET_DATA_DIR", tmp.resolve("data").toString(),
          "PARAPET_UPSTREAM_CA_FILE", ca.toString()));
      assertTrue(p.waitFor(20, TimeUnit.SECONDS));
      assertEquals(1, p.exitValue());
      List<String> err = read("err.txt").lines().toList();
      assertEquals(1, err.size(), err.toString());
      assertTrue(err.get(0).startsWith("parapet: PARAPET_UPSTREAM_CA_FILE: cannot use " + ca + " ("), err.get(0));
      assertFalse(read("out.txt").contains("listening"), read("out.txt"));
    }
  }

  @Test
  void aBadEgressProxyRefusesToBootWithOneLineAndNoPassword() throws Exception {
    HydratedConfig config = TestConfigs.config();
    MasterKey key = MasterKey.generate(new SecureRandom());
    Process p = launch(Map.of(
        "PARAPET_BOOTSTRAP_STATE", Sealer.seal(config, key, new SecureRandom()),
        "PARAPET_MASTER_KEY", key.toBase64(),
        "PARAPET_PORT", "0",
        "PARAPET_BIND", "127.0.0.1",
        "PARAPET_DATA_DIR", tmp.resolve("data").toString(),
        "PARAPET_UPSTREAM_PROXY", "socks5://ops:S3CRET-PW@proxy.corp:1080"));
    assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    assertEquals(1, p.exitValue());
    assertEquals(List.of("parapet: PARAPET_UPSTREAM_PROXY: scheme \"socks5\" is not supported"
        + " (expected: http://[user:password@]host[:port])"), read("err.txt").lines().toList());
    assertFalse(read("out.txt").contains("S3CRET-PW"), read("out.txt"));
    assertFalse(read("out.txt").contains("listening"), read("out.txt"));
  }

  /**
   * The {@code config_sha256=} line says the gateway is up (SPEC §4: decrypt, validate, open the
   * store, log it, then serve): an operator or a script waiting for it connects next. It used to be
   * logged before the telemetry store was opened and the port bound, so a boot the store refused
   * (here: a data directory another master key wrote) printed it, then failed with exit 1.
   */
  @Test
  void aBootTheStoreRefusesNeverLogsTheChecksumLine() throws Exception {
    HydratedConfig config = TestConfigs.config();
    Path data = tmp.resolve("data");
    MasterKey other = MasterKey.generate(new SecureRandom());
    try (TelemetryStore store = TelemetryStore.open(data, other.deriveKey(KeyPurpose.STORE),
        other.deriveKey(KeyPurpose.STORE_MAC), StoreOptions.defaults())) {
      // written by another deployment's key
    }
    MasterKey key = MasterKey.generate(new SecureRandom());
    Process p = launch(ChildMain.sealedEnv(config, key, 0, data));
    assertTrue(p.waitFor(20, TimeUnit.SECONDS));
    assertEquals(1, p.exitValue());
    List<String> err = read("err.txt").lines().toList();
    assertEquals(1, err.size(), err.toString());
    assertTrue(err.get(0).startsWith("parapet: telemetry store: "), err.get(0));
    assertFalse(read("out.txt").contains("config_sha256="), read("out.txt"));
    assertFalse(read("out.txt").contains("listening"), read("out.txt"));
  }

  /** Once the line is out, the port it names answers: no window where it is logged and refused. */
  @Test
  void theChecksumLineNamesTheBoundPort() throws Exception {
    HydratedConfig config = TestConfigs.config();
    MasterKey key = MasterKey.generate(new SecureRandom());
    Process p = launch(ChildMain.sealedEnv(config, key, 0, tmp.resolve("data")));
    try {
      String line = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (line == null && p.isAlive() && System.nanoTime() < deadline) {
        line = read("out.txt").lines().filter(l -> l.contains("config_sha256=")).findFirst().orElse(null);
        if (line == null) {
          Thread.sleep(20); // polling the child's log file: there is nothing to wait on
        }
      }
      assertTrue(line != null, "never logged the line: " + read("err.txt"));
      java.util.regex.Matcher m = java.util.regex.Pattern.compile(" port=(\\d+) ").matcher(line);
      assertTrue(m.find(), line);
      int port = Integer.parseInt(m.group(1));
      assertTrue(port > 0, "PARAPET_PORT=0: the line names the port the system chose: " + line);
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        assertTrue(s.isConnected());
      }
    } finally {
      p.destroy();
      p.waitFor(20, TimeUnit.SECONDS);
      p.destroyForcibly();
    }
  }
}
