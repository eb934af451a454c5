package dev.parapet.runtime.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Pricing;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.MasterKey;
import dev.parapet.core.seal.Sealer;
import dev.parapet.core.seal.SecretValue;
import dev.parapet.runtime.Gateway;
import dev.parapet.runtime.testing.ChildMain;
import dev.parapet.runtime.testing.RecordingTerminal;
import dev.parapet.runtime.testing.TestConfigs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class BootTest {
  @TempDir Path tmp;

  private static final HydratedConfig CONFIG = TestConfigs.config();
  private static final MasterKey KEY = MasterKey.generate(new SecureRandom());
  private static final String KEY_B64 = KEY.toBase64();
  private static final String BLOB = Sealer.seal(CONFIG, KEY, new SecureRandom());

  private Map<String, String> env(int port) {
    Map<String, String> env = new HashMap<>();
    env.put("PARAPET_BOOTSTRAP_STATE", BLOB);
    env.put("PARAPET_MASTER_KEY", KEY_B64);
    env.put("PARAPET_BIND", "127.0.0.1");
    env.put("PARAPET_PORT", Integer.toString(port));
    env.put("PARAPET_DATA_DIR", tmp.resolve("data").toString());
    return env;
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 300);
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** Runs Main's entry in-process; asserts exit 1, one stderr line, no listener. */
  private String failsWith(Map<String, String> env) throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int code = MainAccess.run(env, new PrintStream(buf, true, StandardCharsets.UTF_8));
    String err = buf.toString(StandardCharsets.UTF_8);
    assertEquals(1, code, err);
    assertTrue(err.startsWith("parapet: "), err);
    assertEquals(1, err.lines().count(), err);
    assertFalse(err.contains("Exception") || err.contains("\tat "), err);
    assertFalse(err.contains(KEY_B64), "the key was printed");
    String port = env.get("PARAPET_PORT");
    if (port != null && port.matches("[0-9]+") && !port.equals("0")) {
      assertFalse(listening(Integer.parseInt(port)), "a port was opened");
    }
    return err;
  }

  @Test
  void missingVariables() throws Exception {
    Map<String, String> env = env(ChildMain.freePort());
    env.remove("PARAPET_BOOTSTRAP_STATE");
    assertTrue(failsWith(env).contains("PARAPET_BOOTSTRAP_STATE"));
    env = env(ChildMain.freePort());
    env.remove("PARAPET_MASTER_KEY");
    assertTrue(failsWith(env).contains("PARAPET_MASTER_KEY"));
    assertTrue(failsWith(Map.of()).contains("required"));
  }

  @Test
  void wrongKeyTamperedOrTruncatedBlob() throws Exception {
    Map<String, String> env = env(ChildMain.freePort());
    env.put("PARAPET_MASTER_KEY", MasterKey.generate(new SecureRandom()).toBase64());
    assertTrue(failsWith(env).contains("PARAPET_MASTER_KEY"));
    env.put("PARAPET_MASTER_KEY", "not base64!");
    assertTrue(failsWith(env).contains("PARAPET_MASTER_KEY"));

    byte[] raw = Base64.getDecoder().decode(BLOB);
    raw[raw.length - 20] ^= 1;
    env = env(ChildMain.freePort());
    env.put("PARAPET_BOOTSTRAP_STATE", Base64.getEncoder().encodeToString(raw));
    assertTrue(failsWith(env).contains("PARAPET_BOOTSTRAP_STATE"));
    env.put("PARAPET_BOOTSTRAP_STATE", BLOB.substring(0, BLOB.length() / 2));
    assertTrue(failsWith(env).contains("PARAPET_BOOTSTRAP_STATE"));
    env.put("PARAPET_BOOTSTRAP_STATE", "@@@");
    failsWith(env);
  }

  @Test
  @Timeout(60) // a knob the gateway does not read would boot, and serve until interrupted
  void badKnobsNameTheVariable() throws Exception {
    String[][] cases = {{"PARAPET_PORT", "abc"}, {"PARAPET_PORT", "70000"}, {"PARAPET_PORT", "-1"},
        {"PARAPET_PORT", " 80"}, {"PARAPET_PORT", "08000"}, {"PARAPET_MAX_BODY_BYTES", "4MiB"}, {"PARAPET_MAX_BODY_BYTES", "0"},
        {"PARAPET_SHUTDOWN_GRACE_MS", "1e3"}, {"PARAPET_MAX_CONNECTIONS", ""},
        {"PARAPET_IDLE_TIMEOUT_MS", "0"}, {"PARAPET_WORKER_THREADS", "two"},
        {"PARAPET_LOG_FORMAT", "xml"}, {"PARAPET_LOG_LEVEL", "loud"}, {"PARAPET_BIND", "a b"},
        // below the body limit (4 MiB by default), one largest body could never be admitted
        {"PARAPET_MAX_BUFFERED_BODY_BYTES", "1048576"}, {"PARAPET_MAX_BUFFERED_BODY_BYTES", "64GiB"},
        {"PARAPET_BODY_TIMEOUT_MS", "0"}, {"PARAPET_BODY_TIMEOUT_MS", "2m"},
        {"PARAPET_BODY_TIMEOUT_MS", "3600001"}, {"PARAPET_SHUTDOWN_DELAY_MS", "5s"},
        {"PARAPET_SHUTDOWN_DELAY_MS", "600001"}, {"PARAPET_UPSTREAM_IDLE_MS", "99"}};
    for (String[] c : cases) {
      Map<String, String> env = env(ChildMain.freePort());
      env.put(c[0], c[1]);
      String err = failsWith(env);
      assertTrue(err.contains(c[0]) && err.contains("expected"), err);
    }
  }

  /**
   * Every knob is read before the store opens: a bad one leaves no store behind (a first boot) and
   * changes none (an upgrade's migration, the recovery of crashed holds). The provider client's
   * knobs and CA file were read after it.
   */
  @Test
  @Timeout(60)
  void aBadKnobLeavesTheDataDirectoryAsItWas() throws Exception {
    String[][] cases = {{"PARAPET_UPSTREAM_IDLE_MS", "99"}, {"PARAPET_UPSTREAM_IDLE_MS", "030000"},
        {"PARAPET_UPSTREAM_MAX_PER_ORIGIN", "0"}, {"PARAPET_UPSTREAM_CA_FILE", tmp.resolve("no-such-ca.pem").toString()},
        {"PARAPET_RETENTION_DAYS", "0"}, {"PARAPET_PORT", "08000"}};
    for (String[] c : cases) {
      Map<String, String> env = env(ChildMain.freePort());
      env.put(c[0], c[1]);
      String err = failsWith(env);
      assertTrue(err.contains(c[0]), err);
      assertFalse(Files.exists(tmp.resolve("data").resolve("parapet.db")), c[0] + "=" + c[1] + ": the store was created");
    }
  }

  @Test
  void aStoreWrittenUnderAnotherMasterKeyRefusesToBoot() throws Exception {
    try (MasterKey other = MasterKey.generate(new SecureRandom())) {
      Path data = tmp.resolve("data");
      Files.createDirectories(data);
      dev.parapet.core.store.TelemetryStore.open(data,
          other.deriveKey(dev.parapet.core.seal.KeyPurpose.STORE),
          other.deriveKey(dev.parapet.core.seal.KeyPurpose.STORE_MAC),
          dev.parapet.core.store.StoreOptions.defaults()).close();
    }
    int port = ChildMain.freePort();
    String err = failsWith(env(port));
    assertTrue(err.contains("telemetry store") && err.contains("master key"), err);
    assertFalse(listening(port));
  }

  @Test
  void theBrokenChainOverrideTakesOnlyYesOrNo() throws Exception {
    Map<String, String> env = env(ChildMain.freePort());
    env.put("PARAPET_ACCEPT_BROKEN_CHAIN", "true");
    String err = failsWith(env);
    assertTrue(err.contains("PARAPET_ACCEPT_BROKEN_CHAIN") && err.contains("expected"), err);
  }

  @Test
  void portInUse() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
      Map<String, String> env = env(taken.getLocalPort());
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      int code = MainAccess.run(env, new PrintStream(buf, true, StandardCharsets.UTF_8));
      String err = buf.toString(StandardCharsets.UTF_8);
      assertEquals(1, code);
      assertEquals(1, err.lines().count(), err);
      assertTrue(err.contains(Integer.toString(taken.getLocalPort())), err);
    }
  }

  @Test
  void invalidConfigIsRefusedBeforeListening() throws Exception {
    // The sealer will not seal this, so open it through a stand-in opener: a service whose token
    // digest is missing is not a config parapet-build makes.
    HydratedConfig broken = new HydratedConfig(CONFIG.spec(), Map.of(),
        Map.of("svc-a", TestConfigs.digest("x")), Map.of());
    StateOpener opener = (state, key) -> new OpenedConfig(broken, "ab".repeat(32),
        dev.parapet.core.seal.SecretValue.of("k"), dev.parapet.core.seal.SecretValue.of("m"));
    int port = ChildMain.freePort();
    BootException e = assertThrows(BootException.class, () -> Boot.start(env(port),
        new Boot.Wiring(opener, TestConfigs.MATCHER, c -> dev.parapet.runtime.Stages.terminalOnly(new RecordingTerminal()::newHandler))));
    assertTrue(e.getMessage().contains("invalid config: services.svc-b"), e.getMessage());
    assertFalse(listening(port));
  }

  /**
   * A blob sealed before the build refused such keys: a provider key with a line break or a
   * non-ASCII character would fail every call of its route at the header encoder, so boot refuses
   * it, naming the route and the ref, never the value.
   */
  @Test
  void aProviderKeyNoHeaderCanCarryRefusesToBoot() throws Exception {
    for (String value : new String[] {"sk-old-key-1234\n", "sk-old-k\u00e9y-1234", "sk-old\u0000key-1234"}) {
      Route legacy = new Route("legacy", "prod",
          new ProviderSpec(ProviderType.LOCAL, "llama-3", Optional.of("LEGACY_KEY"),
              Optional.of(URI.create("http://127.0.0.1:9/v1")), List.of(),
              Optional.of(new Pricing(BigDecimal.ONE, BigDecimal.ONE)), 60_000),
          CONFIG.spec().routes().get(0).policy());
      List<Route> routes = new ArrayList<>(CONFIG.spec().routes());
      routes.add(legacy);
      ParapetSpec spec = new ParapetSpec(1, CONFIG.spec().tenants(), routes, CONFIG.spec().services(), List.of());
      HydratedConfig old = new HydratedConfig(spec, Map.of("LEGACY_KEY", SecretValue.of(value)),
          CONFIG.serviceTokenDigests(), Map.of());
      Map<String, String> env = env(ChildMain.freePort());
      env.put("PARAPET_BOOTSTRAP_STATE", Sealer.seal(old, KEY, new SecureRandom()));
      // Through Boot.start first: Main would serve such a blob until the JVM stops.
      Boot.Wiring wiring = new Boot.Wiring(new SealedStateOpener(), TestConfigs.MATCHER,
          c -> dev.parapet.runtime.Stages.terminalOnly(new RecordingTerminal()::newHandler));
      assertThrows(BootException.class, () -> Boot.start(env, wiring).close(), "booted");
      String err = failsWith(env);
      assertTrue(err.contains("invalid config") && err.contains("routes.legacy")
          && err.contains("LEGACY_KEY") && err.contains("request header"), err);
      assertFalse(err.contains(value.trim()) || err.contains("sk-old"), err);
      assertFalse(Files.exists(tmp.resolve("data")), "boot went on past the config check");
    }
  }

  @Test
  void bootsLogsTheChecksumCreatesTheDataDirAndServesHealth() throws Exception {
    Logger bootLog = (Logger) LoggerFactory.getLogger("parapet.boot");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    bootLog.addAppender(lines);
    RecordingTerminal terminal = new RecordingTerminal();
    Boot.Wiring wiring = new Boot.Wiring(new SealedStateOpener(), TestConfigs.MATCHER,
        c -> dev.parapet.runtime.Stages.terminalOnly(terminal::newHandler));
    String sha = Sealer.configSha256(CONFIG);
    try (Gateway g = Boot.start(env(0), wiring)) {
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + "/_parapet/health")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals("{\"status\":\"ok\",\"config_sha256\":\"" + sha + "\"}", r.body());
    } finally {
      bootLog.detachAppender(lines);
    }
    List<String> booted = lines.list.stream().map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.contains("config_sha256=")).toList();
    assertEquals(1, booted.size());
    assertTrue(booted.get(0).contains("config_sha256=" + sha), booted.get(0));
    assertTrue(booted.get(0).contains("routes=3") && booted.get(0).contains("services=3"));
    assertFalse(booted.get(0).contains(KEY_B64));
    Path data = tmp.resolve("data");
    assertTrue(Files.isDirectory(data));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
  }

  @Test
  void settingsDefaults() throws Exception {
    Settings s = Settings.fromEnv(Map.of("PARAPET_BOOTSTRAP_STATE", "x", "PARAPET_MASTER_KEY", "y"));
    assertEquals(8000, s.port());
    assertEquals("0.0.0.0", s.bind());
    assertEquals(4 << 20, s.maxBodyBytes());
    assertEquals(30_000, s.shutdownGraceMs());
    assertEquals(10_000, s.maxConnections());
    assertEquals(60_000, s.idleTimeoutMs());
    assertEquals(Path.of("./parapet-data"), s.dataDir());
    assertThrows(BootException.class, () -> Settings.fromEnv(Map.of("PARAPET_BOOTSTRAP_STATE", " ")));
  }
}
