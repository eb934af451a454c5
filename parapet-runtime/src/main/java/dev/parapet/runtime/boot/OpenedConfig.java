package dev.parapet.runtime.boot;

import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.SecretValue;
import java.util.Objects;

/**
 * The opened blob: the hydrated config, the SHA-256 of its canonical form (64 hex digits), and
 * the sub-keys derived from the master key before it was zeroed (the telemetry store's).
 */
public record OpenedConfig(
    HydratedConfig config, String configSha256, SecretValue storeKey, SecretValue storeMacKey) {
  public OpenedConfig {
    Objects.requireNonNull(config, "config");
    if (configSha256 == null || !configSha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("configSha256: expected 64 lower-case hex digits");
    }
    Objects.requireNonNull(storeKey, "storeKey");
    Objects.requireNonNull(storeMacKey, "storeMacKey");
  }

  /** Zeroes every secret held here. */
  public void destroySecrets() {
    config.destroySecrets();
    storeKey.destroy();
    storeMacKey.destroy();
  }
}
