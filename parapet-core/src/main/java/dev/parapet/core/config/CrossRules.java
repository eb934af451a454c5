package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks between entries: unique names, references that resolve, routes that stay inside their
 * service's tenant, and secret refs that each mean one thing.
 */
final class CrossRules {
  private CrossRules() {}

  static void check(
      List<TenantRules.Entry> tenants,
      List<RouteRules.Entry> routes,
      List<ServiceRules.Entry> services,
      List<UserRules.Entry> users,
      Problems problems) {
    Map<String, Named> tenantNames = unique(tenants.stream().map(TenantRules.Entry::name).toList(), "tenant", problems);
    Map<String, Named> routeNames = unique(routes.stream().map(RouteRules.Entry::name).toList(), "route", problems);
    unique(services.stream().map(ServiceRules.Entry::label).toList(), "service", problems);
    unique(users.stream().map(UserRules.Entry::username).toList(), "user", problems);

    Map<String, String> routeTenant = new HashMap<>();
    for (RouteRules.Entry route : routes) {
      route.tenant().ifPresent(t -> exists(t, tenantNames, "tenant", problems));
      if (route.name().isPresent() && route.tenant().isPresent()) {
        routeTenant.putIfAbsent(route.name().get().value(), route.tenant().get().value());
      }
    }
    for (ServiceRules.Entry service : services) {
      service.tenant().ifPresent(t -> exists(t, tenantNames, "tenant", problems));
      for (Named route : service.allowedRoutes()) {
        if (!exists(route, routeNames, "route", problems) || service.tenant().isEmpty()) {
          continue;
        }
        String owner = routeTenant.get(route.value());
        String mine = service.tenant().get().value();
        // a route of an undefined tenant is reported on the route already
        if (owner != null && tenantNames.containsKey(owner) && !owner.equals(mine)) {
          problems.error(
              Kind.REFERENCE,
              route.path(),
              "route " + Quoting.quote(route.value()) + " belongs to tenant " + Quoting.quote(owner)
                  + ", not to this service's tenant " + Quoting.quote(mine)
                  + " (expected: a route of tenant " + Quoting.quote(mine) + ")",
              route.mark(),
              "a route of tenant " + mine);
        }
      }
    }
    SecretRefs.check(routes, services, users, problems);
  }

  /** Reports every repeat of a name; returns the first occurrence of each. */
  private static Map<String, Named> unique(List<Optional<Named>> names, String what, Problems problems) {
    Map<String, Named> first = new LinkedHashMap<>();
    for (Optional<Named> maybe : names) {
      if (maybe.isEmpty()) {
        continue;
      }
      Named name = maybe.get();
      Named earlier = first.putIfAbsent(name.value(), name);
      if (earlier != null) {
        problems.error(
            Kind.DUPLICATE,
            name.path(),
            "duplicate " + what + " " + Quoting.quote(name.value()) + " (first at " + earlier.path()
                + lineOf(earlier) + "; expected: a unique name)",
            name.mark(),
            "a " + what + " name not used yet");
      }
    }
    return first;
  }

  private static boolean exists(Named ref, Map<String, Named> defined, String what, Problems problems) {
    if (defined.containsKey(ref.value())) {
      return true;
    }
    String known = defined.isEmpty() ? "none defined" : "one of: " + Suggestions.listed(defined.keySet());
    problems.error(
        Kind.REFERENCE,
        ref.path(),
        what + " " + Quoting.quote(ref.value()) + " is not defined"
            + Suggestions.didYouMean(ref.value(), defined.keySet()) + " (expected: " + known + ")",
        ref.mark(),
        "the name of a defined " + what);
    return false;
  }

  static String lineOf(Named n) {
    return n.mark().line() > 0 ? ", line " + n.mark().line() : "";
  }
}
