package dev.parapet.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.Pricing;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Role;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.config.User;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.KeyPurpose;
import dev.parapet.core.seal.MasterKey;
import dev.parapet.core.seal.PasswordHash;
import dev.parapet.core.seal.Sealer;
import dev.parapet.core.seal.SecretValue;
import dev.parapet.core.store.TelemetryStore;
import dev.parapet.runtime.boot.Boot;
import dev.parapet.runtime.boot.BootException;
import dev.parapet.runtime.boot.Settings;
import dev.parapet.runtime.testing.TestConfigs;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.sqlite.mc.SQLiteMCChacha20Config;

/**
 * A gateway booted the production way (sealed blob, {@link Wiring#production}) over a temporary
 * data directory, with priced echo routes (so cost is deterministic), one OpenAI-compatible route
 * to a fake provider, and two users: {@value #ADMIN} (admin) and {@value #VIEWER} (viewer).
 *
 * <p>tenant prod (cap $10): summarizer (echo, $2/$4 per 1M), writer (echo, $1/$1; or openai at a
 * second fake provider), remote (openai at the fake provider, $1/$1); tenant other (no cap):
 * elsewhere (echo, $3/$5). svc-a (prod) may call summarizer, writer, remote; svc-b (other) may
 * call elsewhere.
 */
final class TelemetryFixture implements AutoCloseable {
  static final String ADMIN = "alice";
  static final String ADMIN_PASSWORD = "correct-horse-admin-5150";
  static final String VIEWER = "victor";
  static final String VIEWER_PASSWORD = "viewer-pass-8086-x";
  static final String PROVIDER_KEY = "sk-telemetry-provider-key-99999";
  static final ObjectMapper JSON = new ObjectMapper();
  static final Map<String, String> HASHES = Map.of(
      ADMIN, PasswordHash.hash(ADMIN_PASSWORD.toCharArray(), ADMIN),
      VIEWER, PasswordHash.hash(VIEWER_PASSWORD.toCharArray(), VIEWER));

  final MasterKey key = MasterKey.generate(new SecureRandom());
  final Map<String, String> env = new HashMap<>();
  final Path dataDir;
  final HydratedConfig config;
  /** What no variable sets (the body-rate grace), over what {@link #env} sets. */
  UnaryOperator<Settings> settings = s -> s;
  private final HttpClient http = HttpClient.newHttpClient();
  Gateway gateway;

  TelemetryFixture(Path dataDir, URI providerBase) {
    this(dataDir, config(providerBase));
  }

  /** Over another config (its users' password hashes from {@link #HASHES} or its own). */
  TelemetryFixture(Path dataDir, HydratedConfig config) {
    this.dataDir = dataDir;
    this.config = config;
    env.put("PARAPET_BOOTSTRAP_STATE", Sealer.seal(config, key, new SecureRandom()));
    env.put("PARAPET_MASTER_KEY", key.toBase64());
    env.put("PARAPET_BIND", "127.0.0.1");
    env.put("PARAPET_PORT", "0");
    env.put("PARAPET_DATA_DIR", dataDir.toString());
  }

  static Pricing price(String in, String out) {
    return new Pricing(new BigDecimal(in), new BigDecimal(out));
  }

  private static Route echo(String name, String tenant, Pricing pricing, String budget) {
    return new Route(name, tenant,
        new ProviderSpec(ProviderType.ECHO, "echo-" + name, Optional.empty(), Optional.empty(),
            List.of(), Optional.of(pricing), 60_000),
        new Policy(6000, 200, new BigDecimal(budget), true, RedactionPolicy.OFF));
  }

  private static Route openAi(String name, URI providerBase, String budget) {
    return new Route(name, "prod",
        new ProviderSpec(ProviderType.OPENAI, "gpt-4o-2024-08-06", Optional.of("OPENAI_KEY"),
            Optional.of(providerBase), List.of(), Optional.of(price("1", "1")), 5_000),
        new Policy(6000, 100, new BigDecimal(budget), true, RedactionPolicy.OFF));
  }

  static HydratedConfig config(URI providerBase) {
    return config(providerBase, echo("writer", "prod", price("1", "1"), "3"));
  }

  /** {@link #config(URI)} with writer an OpenAI route too, to a second provider. */
  static HydratedConfig config(URI providerBase, URI writerBase) {
    return config(providerBase, openAi("writer", writerBase, "3"));
  }

  private static HydratedConfig config(URI providerBase, Route writer) {
    Route remote = openAi("remote", providerBase, "5");
    ParapetSpec spec = new ParapetSpec(1,
        List.of(new Tenant("prod", Optional.of(new BigDecimal("10")), Optional.empty()),
            new Tenant("other", Optional.empty(), Optional.empty())),
        List.of(echo("summarizer", "prod", price("2", "4"), "5"),
            writer,
            echo("elsewhere", "other", price("3", "5"), "7"),
            remote),
        List.of(new Service("svc-a", "prod", List.of("summarizer", "writer", "remote"), "SVC_A_TOKEN"),
            new Service("svc-b", "other", List.of("elsewhere"), "SVC_B_TOKEN")),
        List.of(new User(ADMIN, Role.ADMIN, "ALICE_PASSWORD"), new User(VIEWER, Role.VIEWER, "VICTOR_PASSWORD")));
    return new HydratedConfig(spec, Map.of("OPENAI_KEY", SecretValue.of(PROVIDER_KEY)),
        Map.of("svc-a", TestConfigs.digest(TestConfigs.TOKEN_A), "svc-b", TestConfigs.digest(TestConfigs.TOKEN_B)),
        HASHES);
  }

  TelemetryFixture boot() throws BootException {
    Boot.Wiring wiring = Wiring.production(env);
    gateway = Boot.start(settings.apply(Settings.fromEnv(env)), env, wiring);
    return this;
  }

  /** The booted gateway's port, or PARAPET_PORT when the gateway runs in another process. */
  int port() {
    return gateway != null ? gateway.port() : Integer.parseInt(env.get("PARAPET_PORT"));
  }

  /** POST /routes/{route} with one user message. */
  HttpResponse<String> call(String token, String route, String content) throws Exception {
    String body = "{\"messages\":[{\"role\":\"user\",\"content\":" + JSON.writeValueAsString(content) + "}]}";
    return http.send(HttpRequest.newBuilder(uri("/routes/" + route))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** GET with basic auth (no header when {@code user} is null). */
  HttpResponse<String> get(String path, String user, String password) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
    if (user != null) {
      b.header("Authorization", basic(user, password));
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> admin(String path) throws Exception {
    return get(path, ADMIN, ADMIN_PASSWORD);
  }

  static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  JsonNode adminJson(String path) throws Exception {
    HttpResponse<String> r = admin(path);
    if (r.statusCode() != 200) {
      throw new AssertionError(path + " -> " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body());
  }

  dev.parapet.runtime.testing.RawHttp gatewayRaw() throws java.io.IOException {
    return new dev.parapet.runtime.testing.RawHttp(port());
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port() + path);
  }

  /**
   * Whether the store in {@link #dataDir} was created as builds before one KDF iteration did:
   * its cipher's key derived with SQLite3MC's default iterations ({@link #createStoreAsAnOlderBuild}).
   */
  boolean olderBuildsStore;

  /** A keyed connection to the store file, as someone holding the master key could open it. */
  Connection openStoreWithKey() throws Exception {
    return storeKeying().createConnection("jdbc:sqlite:" + dataDir.resolve("parapet.db").toAbsolutePath());
  }

  /** The store's keying: one PBKDF2 iteration, or SQLite3MC's defaults for an older build's store. */
  org.sqlite.mc.SQLiteMCConfig storeKeying() {
    byte[] storeKey = key.deriveKey(KeyPurpose.STORE);
    SQLiteMCChacha20Config keying = SQLiteMCChacha20Config.getDefault();
    if (!olderBuildsStore) {
      keying.setKdfIter(1);
    }
    return keying.withHexKey(storeKey).build();
  }

  /**
   * Creates {@link #dataDir} and the file an older build's first boot left in it (1 KiB pages, WAL),
   * keyed exactly as that build keyed every connection: SQLite3MC's chacha20 defaults.
   */
  TelemetryFixture createStoreAsAnOlderBuild() throws Exception {
    java.nio.file.Files.createDirectories(dataDir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
    try (Connection c = SQLiteMCChacha20Config.getDefault().withHexKey(key.deriveKey(KeyPurpose.STORE)).build()
            .createConnection("jdbc:sqlite:" + dataDir.resolve("parapet.db").toAbsolutePath());
        java.sql.Statement st = c.createStatement()) {
      st.execute("PRAGMA page_size=1024");
      st.execute("PRAGMA journal_mode=WAL");
    }
    olderBuildsStore = true;
    return this;
  }

  /** The booted gateway's telemetry store, for the store's test hooks ({@code StoreFaults}). */
  TelemetryStore store() throws ReflectiveOperationException {
    java.lang.reflect.Field f = Gateway.class.getDeclaredField("stages");
    f.setAccessible(true);
    return ((Stages) f.get(gateway)).resources().stream()
        .filter(TelemetryStore.class::isInstance).map(TelemetryStore.class::cast).findFirst().orElseThrow();
  }

  @Override
  public void close() {
    if (gateway != null) {
      gateway.close();
      gateway = null;
    }
  }
}
