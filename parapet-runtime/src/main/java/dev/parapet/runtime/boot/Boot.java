package dev.parapet.runtime.boot;

import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.runtime.FrontConfig;
import dev.parapet.runtime.Gateway;
import dev.parapet.runtime.Stages;
import dev.parapet.runtime.auth.TokenMatcher;
import dev.parapet.runtime.provider.AnthropicModels;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The boot sequence of SPEC §4: read the knobs, open the blob (the opener zeroes the master key),
 * check the config, prepare the data directory, open the store, listen, then log the config
 * checksum: the line means the gateway is up. Every
 * failure is a {@link BootException} with a one-line reason, raised before any port is opened.
 */
public final class Boot {
  /**
   * How the runtime's collaborators are made from the opened blob (the config with its provider
   * keys, and the derived store keys for whoever keeps the telemetry store).
   *
   * @param stages the policy handlers and terminal handler behind the front
   * @param beforeFirstLog run once the config is checked, before boot first touches SLF4J: the
   *     production wiring initialises logging on a second thread and waits for it here (a logger
   *     asked for during that initialisation would be a substitute that replays to stderr)
   */
  public record Wiring(
      StateOpener opener,
      TokenMatcher tokenMatcher,
      StageFactory stages,
      Runnable beforeFirstLog) {
    public Wiring {
      Objects.requireNonNull(opener, "opener");
      Objects.requireNonNull(tokenMatcher, "tokenMatcher");
      Objects.requireNonNull(stages, "stages");
      Objects.requireNonNull(beforeFirstLog, "beforeFirstLog");
    }

    public Wiring(StateOpener opener, TokenMatcher tokenMatcher, StageFactory stages) {
      this(opener, tokenMatcher, stages, () -> {});
    }
  }

  /** Builds the stages behind the front from the opened blob; may refuse to boot. */
  @FunctionalInterface
  public interface StageFactory {
    Stages build(OpenedConfig opened) throws BootException;
  }

  private Boot() {}

  /** Boots and returns the listening gateway; the caller closes it. */
  public static Gateway start(Map<String, String> env, Wiring wiring) throws BootException {
    return start(Settings.fromEnv(env), env, wiring);
  }

  /**
   * {@link #start(Map, Wiring)} with {@code settings} in place of the ones {@code env} gives: for
   * tests, to set what no variable sets ({@link Settings#bodyRateGraceMs}).
   */
  public static Gateway start(Settings settings, Map<String, String> env, Wiring wiring) throws BootException {
    OpenedConfig opened;
    try {
      opened = wiring.opener().open(env.get(Settings.BOOTSTRAP_STATE), env.get(Settings.MASTER_KEY));
    } catch (RuntimeException e) {
      // Never print an unexpected exception's message: it may quote decrypted bytes.
      throw new BootException(Settings.BOOTSTRAP_STATE + ": cannot be opened ("
          + e.getClass().getSimpleName() + ")");
    }
    HydratedConfig config = opened.config();
    try {
      Optional<String> problem = ConfigCheck.firstProblem(config);
      if (problem.isPresent()) {
        throw new BootException(Settings.BOOTSTRAP_STATE + ": invalid config: " + problem.get());
      }
      DataDir.prepare(settings.dataDir());
      wiring.beforeFirstLog().run();
      // Not a static field: this class is loaded before logging may be touched (see Wiring).
      Logger log = LoggerFactory.getLogger("parapet.boot");
      warnOfUnknownModels(config, log);
      FrontConfig front =
          new FrontConfig(config.spec(), opened.configSha256(), config.serviceTokenDigests(), wiring.tokenMatcher());
      Stages stages = wiring.stages().build(opened);
      Gateway gateway = new Gateway(settings, front, stages);
      try {
        gateway.start();
      } catch (BootException e) {
        gateway.close(); // closes the stages' resources too
        throw e;
      }
      // Only now, with the store open and the port bound: whoever waits for this line connects
      // next, and a boot that fails before here must not have claimed it booted. The port is the
      // bound one (PARAPET_PORT=0 lets the system choose).
      log.info("booted config_sha256={} port={} tenants={} routes={} services={}",
          opened.configSha256(), gateway.port(), config.spec().tenants().size(),
          config.spec().routes().size(), config.spec().services().size());
      return gateway;
    } catch (BootException | RuntimeException e) {
      opened.destroySecrets();
      if (e instanceof BootException b) {
        throw b;
      }
      throw new BootException("boot failed (" + e.getClass().getSimpleName() + ")");
    }
  }

  /**
   * One warning line per anthropic route whose model Parapet does not know ({@link
   * AnthropicModels#known}): its cut streams are settled at their worst case, which an operator
   * reading the usage should be able to explain. Not a refusal: Anthropic releases models faster
   * than Parapet's lists follow.
   */
  private static void warnOfUnknownModels(HydratedConfig config, Logger log) {
    for (Route route : config.spec().routes()) {
      if (route.provider().type() == ProviderType.ANTHROPIC) {
        AnthropicModels.unknownModelWarning(route.name(), route.provider().model()).ifPresent(log::warn);
      }
    }
  }
}
