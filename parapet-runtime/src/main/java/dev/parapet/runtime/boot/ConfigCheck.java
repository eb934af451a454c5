package dev.parapet.runtime.boot;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.seal.HydratedConfig;
import java.util.Optional;

/**
 * The runtime's last look at an opened config before it serves it: the cross-references the
 * pipeline relies on (a route's tenant exists; a service's tenant and routes exist and are its
 * tenant's; every service has a token digest; every route that needs a provider key has one).
 * The build step validated all of this; a blob that fails here was not made by it.
 */
final class ConfigCheck {
  private ConfigCheck() {}

  static Optional<String> firstProblem(HydratedConfig config) {
    ParapetSpec spec = config.spec();
    for (int i = 0; i < spec.routes().size(); i++) {
      Route r = spec.routes().get(i);
      if (spec.tenant(r.tenant()).isEmpty()) {
        return Optional.of("routes[" + i + "].tenant: " + r.tenant() + " (expected: a defined tenant)");
      }
      if (r.provider().providerKeyRef().isPresent() && config.providerKey(r).isEmpty()) {
        return Optional.of("routes[" + i + "].provider.provider_key_ref: no key in the blob");
      }
      if (r.provider().type().keyRequired() && r.provider().providerKeyRef().isEmpty()) {
        return Optional.of("routes[" + i + "].provider.provider_key_ref: required");
      }
    }
    for (int i = 0; i < spec.services().size(); i++) {
      Service s = spec.services().get(i);
      if (spec.tenant(s.tenant()).isEmpty()) {
        return Optional.of("services[" + i + "].tenant: " + s.tenant() + " (expected: a defined tenant)");
      }
      if (!config.serviceTokenDigests().containsKey(s.label())) {
        return Optional.of("services[" + i + "]: no token digest in the blob");
      }
      for (String name : s.allowedRoutes()) {
        Optional<Route> r = spec.route(name);
        if (r.isEmpty() || !r.get().tenant().equals(s.tenant())) {
          return Optional.of("services[" + i + "].allowed_routes: " + name
              + " (expected: a route of tenant " + s.tenant() + ")");
        }
      }
    }
    return Optional.empty();
  }
}
