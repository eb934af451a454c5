package dev.parapet.runtime.route;

import dev.parapet.core.config.Names;
import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Which routes a service may call: listed in its {@code allowed_routes}, existing, same tenant. */
final class RouteAccess {
  private final Map<String, Route> routes;

  RouteAccess(ParapetSpec spec) {
    this.routes = spec.routes().stream().collect(Collectors.toUnmodifiableMap(Route::name, Function.identity()));
  }

  /**
   * The route, if {@code service} may call it. Callers answer every empty result the same way,
   * whether the route is missing, another tenant's or just not granted (no enumeration).
   */
  Optional<Route> permitted(Service service, String name) {
    if (name == null || !Names.IDENTIFIER.matcher(name).matches()) {
      return Optional.empty();
    }
    Route route = routes.get(name);
    if (route == null
        || !service.allowedRoutes().contains(name)
        || !route.tenant().equals(service.tenant())) {
      return Optional.empty();
    }
    return Optional.of(route);
  }

  /** Every route {@code service} may call, in its {@code allowed_routes} order. */
  List<Route> permittedRoutes(Service service) {
    List<Route> out = new ArrayList<>();
    for (String name : service.allowedRoutes()) {
      permitted(service, name).ifPresent(out::add);
    }
    return out;
  }
}
