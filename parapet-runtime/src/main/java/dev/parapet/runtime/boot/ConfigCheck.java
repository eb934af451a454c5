package dev.parapet.runtime.boot;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.SpecConsistency;
import dev.parapet.core.seal.HydratedConfig;
import java.util.List;
import java.util.Optional;

/**
 * The runtime's last look at an opened config before it serves it: the spec's cross-references
 * ({@link SpecConsistency}, which {@code Sealer.open} also applies) and what the pipeline itself
 * relies on — every service has a token digest, every {@code provider_key_ref} has its key.
 * The build step guarantees all of this; a blob that fails here was not made by it.
 */
final class ConfigCheck {
  private ConfigCheck() {}

  static Optional<String> firstProblem(HydratedConfig config) {
    ParapetSpec spec = config.spec();
    List<String> problems = SpecConsistency.check(spec);
    if (!problems.isEmpty()) {
      return Optional.of(problems.get(0));
    }
    for (Route r : spec.routes()) {
      if (r.provider().providerKeyRef().isPresent() && config.providerKey(r).isEmpty()) {
        return Optional.of("routes." + r.name() + ".provider.provider_key_ref: no key in the blob");
      }
    }
    for (Service s : spec.services()) {
      if (!config.serviceTokenDigests().containsKey(s.label())) {
        return Optional.of("services." + s.label() + ": no token digest in the blob");
      }
    }
    return Optional.empty();
  }
}
