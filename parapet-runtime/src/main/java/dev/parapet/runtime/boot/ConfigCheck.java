package dev.parapet.runtime.boot;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.SpecConsistency;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.Hydrator;
import dev.parapet.core.seal.SecretValue;
import java.util.List;
import java.util.Optional;

/**
 * The runtime's last look at an opened config before it serves it: the spec's cross-references
 * ({@link SpecConsistency}, which {@code Sealer.open} also applies) and what the pipeline itself
 * relies on — every service has a token digest, every {@code provider_key_ref} has a key that
 * can be sent in a request header ({@link Hydrator#providerKeyProblem}, the build's own rule).
 * The build step guarantees all of this; a blob that fails here was not made by it, or was made
 * by a build older than the rule (a key ending in a line break was once sealed with a warning).
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
      Optional<String> keyRef = r.provider().providerKeyRef();
      if (keyRef.isEmpty()) {
        continue;
      }
      String at = "routes." + r.name() + ".provider.provider_key_ref: ";
      Optional<SecretValue> key = config.providerKey(r);
      if (key.isEmpty()) {
        return Optional.of(at + "no key in the blob");
      }
      Optional<String> unusable = Hydrator.providerKeyProblem(keyRef.get(), key.get());
      if (unusable.isPresent()) {
        return Optional.of(at + unusable.get() + "; rebuild the state with parapet-build");
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
