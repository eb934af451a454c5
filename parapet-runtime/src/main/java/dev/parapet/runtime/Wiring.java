package dev.parapet.runtime;

import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.TokenDigest;
import dev.parapet.runtime.boot.Boot;
import dev.parapet.runtime.boot.BootException;
import dev.parapet.runtime.boot.OpenedConfig;
import dev.parapet.runtime.boot.SealedStateOpener;
import dev.parapet.runtime.upstream.ExchangeObserver;
import dev.parapet.runtime.upstream.UpstreamClient;
import dev.parapet.runtime.upstream.UpstreamProviders;
import dev.parapet.runtime.upstream.UpstreamProxyHandler;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The production collaborators of the boot sequence: the sealed-state opener, token digests, and
 * the stages behind the front — no policy handlers yet (next issue), the upstream proxy last, one
 * shared {@link UpstreamClient} closed after the drain.
 */
final class Wiring {
  static final String UPSTREAM_CA_FILE = "PARAPET_UPSTREAM_CA_FILE";

  private Wiring() {}

  static Boot.Wiring production(Map<String, String> env) {
    return new Boot.Wiring(
        new SealedStateOpener(), TokenDigest::matches, opened -> stages(env, opened));
  }

  private static Stages stages(Map<String, String> env, OpenedConfig opened) throws BootException {
    UpstreamClient client = upstreamClient(env);
    UpstreamProviders providers = UpstreamProviders.builtIn();
    HydratedConfig config = opened.config();
    return new Stages(
        List.of(),
        () -> new UpstreamProxyHandler(client, config, providers, request -> ExchangeObserver.NONE),
        List.of(client));
  }

  private static UpstreamClient upstreamClient(Map<String, String> env) throws BootException {
    String caFile = env.get(UPSTREAM_CA_FILE);
    try {
      Optional<Path> ca = caFile == null || caFile.isEmpty() ? Optional.empty() : Optional.of(Path.of(caFile));
      return UpstreamClient.withExtraCa(
          ca, UpstreamClient.DEFAULT_MAX_PER_ORIGIN, UpstreamClient.DEFAULT_IDLE_TIMEOUT);
    } catch (InvalidPathException e) {
      throw new BootException(UPSTREAM_CA_FILE + ": not a file path");
    } catch (IllegalStateException e) {
      throw new BootException(e.getMessage()); // names the variable and the file, never a secret
    }
  }
}
