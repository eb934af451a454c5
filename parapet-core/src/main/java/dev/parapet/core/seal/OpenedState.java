package dev.parapet.core.seal;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An opened blob: the config and the SHA-256 of its canonical plaintext, the value logged as
 * {@code config_sha256} and served by {@code /_parapet/health}.
 */
public record OpenedState(HydratedConfig config, String configSha256) {
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

  public OpenedState {
    Objects.requireNonNull(config, "config");
    if (configSha256 == null || !HEX64.matcher(configSha256).matches()) {
      throw new IllegalArgumentException("configSha256: expected 64 lower-case hex digits");
    }
  }
}
