package dev.parapet.runtime;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.runtime.auth.TokenMatcher;
import java.util.Map;
import java.util.Objects;

/**
 * What the front of the pipeline needs from the opened blob: the spec, the config checksum the
 * health endpoint reports, and the service token digests with the matcher that checks them.
 * Holds no recoverable secret.
 */
public record FrontConfig(
    ParapetSpec spec,
    String configSha256,
    Map<String, String> serviceTokenDigests,
    TokenMatcher tokenMatcher) {
  public FrontConfig {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(configSha256, "configSha256");
    serviceTokenDigests = Map.copyOf(serviceTokenDigests);
    Objects.requireNonNull(tokenMatcher, "tokenMatcher");
  }
}
