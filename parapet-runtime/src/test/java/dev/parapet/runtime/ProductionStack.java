package dev.parapet.runtime;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.Pricing;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.config.User;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.MasterKey;
import dev.parapet.core.seal.Sealer;
import dev.parapet.core.seal.SecretValue;
import dev.parapet.runtime.boot.Boot;
import dev.parapet.runtime.boot.BootException;
import dev.parapet.runtime.testing.TestConfigs;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The production boot path for hardening tests: a blob sealed with a fresh master key, {@link
 * Boot#start} with {@link Wiring#production} (telemetry store in a temp dir, the real upstream
 * stage), on 127.0.0.1 and a free port. Routes are added with {@link Builder#route}; one service,
 * {@code svc}, may call all of them with {@link #token}.
 */
final class ProductionStack implements AutoCloseable {
  static final String SERVICE = "svc";

  final Gateway gateway;
  final int port;
  final String token;
  final String masterKeyBase64;
  final Path dataDir;

  private ProductionStack(Gateway gateway, String token, String masterKeyBase64, Path dataDir) {
    this.gateway = gateway;
    this.port = gateway.port();
    this.token = token;
    this.masterKeyBase64 = masterKeyBase64;
    this.dataDir = dataDir;
  }

  static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  @Override
  public void close() {
    gateway.close();
  }

  static final class Builder {
    private final Path dataDir;
    private final List<Route> routes = new ArrayList<>();
    private final Map<String, SecretValue> keys = new HashMap<>();
    private final List<User> users = new ArrayList<>();
    private final Map<String, String> passwordHashes = new HashMap<>();
    private final Map<String, String> env = new HashMap<>();
    private String token = TestConfigs.TOKEN_A;
    private Optional<MasterKey> masterKey = Optional.empty();

    private Builder(Path dataDir) {
      this.dataDir = dataDir;
    }

    /** A route of {@code type} to {@code baseUrl} whose key (ref {@code <NAME>_KEY}) is {@code key}. */
    Builder route(String name, ProviderType type, URI baseUrl, String key, int timeoutMs) {
      String ref = name.toUpperCase(java.util.Locale.ROOT).replace('-', '_') + "_KEY";
      routes.add(new Route(name, "prod",
          new ProviderSpec(type, type == ProviderType.ANTHROPIC ? "claude-3-5-sonnet-20241022" : "gpt-4o-2024-08-06",
              Optional.of(ref), Optional.of(baseUrl), List.of(),
              Optional.of(new Pricing(BigDecimal.ONE, BigDecimal.ONE)), timeoutMs),
          new Policy(6000, 100, new BigDecimal("5"), false, RedactionPolicy.OFF)));
      keys.put(ref, SecretValue.of(key));
      return this;
    }

    Builder echoRoute(String name) {
      routes.add(TestConfigs.route(name, "prod", "echo-2024-01-01"));
      return this;
    }

    Builder user(User user, String passwordHash) {
      users.add(user);
      passwordHashes.put(user.username(), passwordHash);
      return this;
    }

    Builder token(String serviceToken) {
      this.token = serviceToken;
      return this;
    }

    Builder masterKey(MasterKey key) {
      this.masterKey = Optional.of(key);
      return this;
    }

    Builder env(String name, String value) {
      env.put(name, value);
      return this;
    }

    ProductionStack start() throws BootException {
      ParapetSpec spec = new ParapetSpec(1, List.of(new Tenant("prod", Optional.empty(), Optional.empty())),
          List.copyOf(routes),
          List.of(new Service(SERVICE, "prod", routes.stream().map(Route::name).toList(), "SVC_TOKEN")),
          List.copyOf(users));
      HydratedConfig config = new HydratedConfig(spec, keys,
          Map.of(SERVICE, TestConfigs.digest(token)), passwordHashes);
      MasterKey key = masterKey.orElseGet(() -> MasterKey.generate(new SecureRandom()));
      Map<String, String> all = new HashMap<>(env);
      all.put("PARAPET_BOOTSTRAP_STATE", Sealer.seal(config, key, new SecureRandom()));
      all.put("PARAPET_MASTER_KEY", key.toBase64());
      all.put("PARAPET_BIND", "127.0.0.1");
      all.put("PARAPET_PORT", "0");
      all.put("PARAPET_DATA_DIR", dataDir.toString());
      return new ProductionStack(Boot.start(all, Wiring.production(all)), token, key.toBase64(), dataDir);
    }
  }
}
