package dev.parapet.runtime.boot;

import dev.parapet.core.seal.HydratedConfig;
import java.util.Objects;

/** The opened blob: the hydrated config and the SHA-256 of its canonical form (64 hex digits). */
public record OpenedConfig(HydratedConfig config, String configSha256) {
  public OpenedConfig {
    Objects.requireNonNull(config, "config");
    if (configSha256 == null || !configSha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("configSha256: expected 64 lower-case hex digits");
    }
  }
}
