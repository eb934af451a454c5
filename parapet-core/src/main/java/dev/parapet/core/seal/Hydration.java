package dev.parapet.core.seal;

import java.util.List;
import java.util.Objects;

/**
 * What {@link Hydrator#hydrate} produced: the config to seal and advice for the operator (weak
 * tokens or passwords), which names refs and lengths, never values.
 */
public record Hydration(HydratedConfig config, List<String> warnings) {
  public Hydration {
    Objects.requireNonNull(config, "config");
    warnings = List.copyOf(warnings);
  }
}
