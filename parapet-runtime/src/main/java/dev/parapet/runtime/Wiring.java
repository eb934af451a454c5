package dev.parapet.runtime;

import dev.parapet.core.config.ProviderType;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.TokenDigest;
import dev.parapet.core.store.StoreException;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.boot.Boot;
import dev.parapet.runtime.boot.BootException;
import dev.parapet.runtime.boot.IntegerKnob;
import dev.parapet.runtime.boot.OpenedConfig;
import dev.parapet.runtime.boot.SealedStateOpener;
import dev.parapet.runtime.boot.Settings;
import dev.parapet.runtime.policy.PolicyStages;
import dev.parapet.runtime.telemetry.OpenedStore;
import dev.parapet.runtime.telemetry.StoreBoot;
import dev.parapet.runtime.telemetry.TelemetryStage;
import dev.parapet.runtime.upstream.EgressProxy;
import dev.parapet.runtime.upstream.PoolStats;
import dev.parapet.runtime.upstream.UpstreamClient;
import dev.parapet.runtime.upstream.UpstreamProviders;
import dev.parapet.runtime.upstream.UpstreamProxyHandler;
import java.net.URI;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;

/**
 * The production collaborators of the boot sequence: the sealed-state opener, token digests, and
 * the stages behind the front — the telemetry store opened (chain verified, crashed holds settled),
 * the enforcement of {@link PolicyStages} (its ledger seeded from the store), the upstream proxy
 * last, one shared {@link UpstreamClient}; store and client closed after the drain.
 */
final class Wiring {
  static final String UPSTREAM_CA_FILE = "PARAPET_UPSTREAM_CA_FILE";
  /**
   * Upstream connections per provider origin and event loop. Over HTTP/1.1 each open stream holds
   * one, so the default ({@value UpstreamClient#DEFAULT_MAX_PER_ORIGIN}) caps concurrent streams to
   * one provider at that times the worker threads; a deployment holding thousands raises it.
   */
  static final String UPSTREAM_MAX_PER_ORIGIN = "PARAPET_UPSTREAM_MAX_PER_ORIGIN";
  /**
   * How long an idle provider connection rests in its pool before Parapet closes it, for every
   * origin. It must stay below the server's own idle timeout: a call written into a connection the
   * server is closing at that instant fails without a retry. Servers that announce theirs
   * ({@code Keep-Alive: timeout=N}) shorten it per connection; those that do not (uvicorn, vLLM's
   * OpenAI server: 5 s) need it set below theirs.
   */
  static final String UPSTREAM_IDLE_MS = "PARAPET_UPSTREAM_IDLE_MS";
  static final long MIN_UPSTREAM_IDLE_MS = 100;
  static final long MAX_UPSTREAM_IDLE_MS = 600_000;

  private Wiring() {}

  /**
   * Also starts {@link BootPrep}: logging and SQLite's native library are initialised on a second
   * thread while this one opens the blob; boot waits for logging before its first log line.
   */
  static Boot.Wiring production(Map<String, String> env) {
    return production(env, Clock.systemUTC());
  }

  /** {@link #production(Map)} with the budget's clock (tests: a call that starts before midnight). */
  static Boot.Wiring production(Map<String, String> env, Clock clock) {
    BootPrep prep = BootPrep.start();
    return new Boot.Wiring(
        new SealedStateOpener(), TokenDigest::matches, opened -> stages(env, opened, clock), prep::awaitLogging);
  }

  private static Stages stages(Map<String, String> env, OpenedConfig opened, Clock clock) throws BootException {
    TelemetryStage.checkEnv(env); // before the store opens: a bad knob leaves nothing to close
    Optional<EgressProxy> proxy = egressProxy(env);
    Settings settings = Settings.fromEnv(env);
    // One request in flight per connection, so at most one open budget hold per connection.
    int maxOpenHolds = settings.maxConnections();
    // Its knobs and CA file are read here, before the store opens (which creates, migrates and
    // settles it): a bad one refuses the boot with the data directory as it was. It holds nothing
    // until its first call.
    UpstreamClient client = upstreamClient(env, proxy);
    OpenedStore telemetry = StoreBoot.open(settings.dataDir(), maxOpenHolds, opened, env);
    UpstreamProviders providers = UpstreamProviders.builtIn();
    HydratedConfig config = opened.config();
    logEgress(proxy, config, client);
    expectOrigins(config, client.poolStats());
    PolicyStages policy;
    try {
      policy = PolicyStages.open(config, telemetry.store(), clock, maxOpenHolds);
    } catch (StoreException e) {
      client.close();
      telemetry.store().close();
      throw new BootException("telemetry store: cannot load today's spend: " + e.getMessage());
    }
    // Resources close in reverse order after the drain: the upstream pools, then the store,
    // which flushes every queued settlement and record before it closes.
    Stages stages = new Stages(
        policy.handlers(),
        () -> new UpstreamProxyHandler(client, config, providers, policy::observer),
        List.of(telemetry.store(), client));
    // Request rows, metrics, the read-only surfaces and the daily tasks; closed before the store.
    // After the port opens: the tokenizer's BPE tables (~0.5 s, else paid by the first call) and,
    // when a route goes to an https origin, the TLS context.
    List<Runnable> warmUps = needsTls(config) ? List.of(TokenCounter::warmUp, client::warmTls)
        : List.of(TokenCounter::warmUp);
    return TelemetryStage.start(env, opened, telemetry.store(), policy.charges()).watch(client.poolStats())
        .attachTo(stages).withWarmUps(warmUps);
  }

  /**
   * Makes every route's provider origin known to the pool metrics, so each series reads 0 from
   * boot. Echo routes call nothing.
   */
  static void expectOrigins(HydratedConfig config, PoolStats pools) {
    providerBases(config).forEach(base -> {
      try {
        pools.expect(base);
      } catch (IllegalArgumentException e) {
        // Not an http(s) URL with a host (validation refuses those): its calls fail as before.
      }
    });
  }

  /** Each route's provider base URL (its {@code base_url}, else its type's default); echo routes call nothing. */
  private static Stream<URI> providerBases(HydratedConfig config) {
    return config.spec().routes().stream()
        .filter(r -> r.provider().type() != ProviderType.ECHO)
        .flatMap(r -> r.provider().baseUrl().or(() -> r.provider().type().defaultBaseUrl().map(URI::create)).stream());
  }

  /**
   * Whether some route calls an https origin (no base_url: the provider's default, https; echo
   * routes call nothing). Only decides whether the TLS context is warmed; it is built on demand
   * either way.
   */
  static boolean needsTls(HydratedConfig config) {
    return config.spec().routes().stream()
        .filter(r -> r.provider().type() != ProviderType.ECHO)
        .anyMatch(r -> r.provider().baseUrl().map(u -> "https".equalsIgnoreCase(u.getScheme())).orElse(true));
  }

  /**
   * With an egress proxy set, one boot line naming it (never its credentials) and which provider
   * origins go through it and which connect directly: host names and ports only.
   */
  private static void logEgress(Optional<EgressProxy> proxy, HydratedConfig config, UpstreamClient client) {
    if (proxy.isEmpty()) {
      return;
    }
    TreeSet<String> through = new TreeSet<>();
    TreeSet<String> direct = new TreeSet<>();
    providerBases(config).forEach(u -> (client.proxies(u) ? through : direct).add(u.getScheme() + "://" + u.getHost()
        + (u.getPort() == -1 ? "" : ":" + u.getPort())));
    LoggerFactory.getLogger("parapet.boot").info("egress proxy {}: through it {}; direct {}",
        proxy.get(), through.isEmpty() ? "(none)" : String.join(", ", through),
        direct.isEmpty() ? "(none)" : String.join(", ", direct));
  }

  /** {@value EgressProxy#PROXY_ENV} and {@value EgressProxy#NO_PROXY_ENV}; a bad value refuses boot. */
  static Optional<EgressProxy> egressProxy(Map<String, String> env) throws BootException {
    try {
      return EgressProxy.parse(env.get(EgressProxy.PROXY_ENV), env.get(EgressProxy.NO_PROXY_ENV));
    } catch (IllegalArgumentException e) {
      throw new BootException(e.getMessage()); // names the variable and the fault, never the password
    }
  }

  private static UpstreamClient upstreamClient(Map<String, String> env, Optional<EgressProxy> proxy)
      throws BootException {
    String caFile = env.get(UPSTREAM_CA_FILE);
    try {
      Optional<Path> ca = caFile == null || caFile.isEmpty() ? Optional.empty() : Optional.of(Path.of(caFile));
      return UpstreamClient.withExtraCa(ca, proxy, maxPerOrigin(env), upstreamIdle(env));
    } catch (InvalidPathException e) {
      throw new BootException(UPSTREAM_CA_FILE + ": not a file path");
    } catch (IllegalStateException e) {
      throw new BootException(e.getMessage()); // names the variable and the file, never a secret
    }
  }

  static int maxPerOrigin(Map<String, String> env) throws BootException {
    return (int) IntegerKnob.read(env, UPSTREAM_MAX_PER_ORIGIN, UpstreamClient.DEFAULT_MAX_PER_ORIGIN, 1, 999_999);
  }

  /** {@value #UPSTREAM_IDLE_MS}: {@link UpstreamClient#DEFAULT_IDLE_TIMEOUT} when unset. */
  static Duration upstreamIdle(Map<String, String> env) throws BootException {
    return Duration.ofMillis(IntegerKnob.read(env, UPSTREAM_IDLE_MS, UpstreamClient.DEFAULT_IDLE_TIMEOUT.toMillis(),
        MIN_UPSTREAM_IDLE_MS, MAX_UPSTREAM_IDLE_MS));
  }
}
