package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import java.util.HashMap;
import java.util.Map;
import java.util.List;

/**
 * Secret refs must each mean one thing. The same name as a provider key and a service token
 * would hand every caller holding that token the provider key's value (or the reverse); two
 * services on one token would make their calls indistinguishable in budgets and telemetry.
 */
final class SecretRefs {
  private SecretRefs() {}

  private record Use(String kind, Named ref) {}

  static void check(
      List<RouteRules.Entry> routes,
      List<ServiceRules.Entry> services,
      List<UserRules.Entry> users,
      Problems problems) {
    Map<String, Use> firstUse = new HashMap<>();
    Map<String, Named> tokens = new HashMap<>();
    for (RouteRules.Entry route : routes) {
      route.keyRef().ifPresent(ref -> use(firstUse, new Use("a provider key", ref), problems));
    }
    for (ServiceRules.Entry service : services) {
      service.tokenRef().ifPresent(ref -> {
        Named other = tokens.putIfAbsent(ref.value(), ref);
        if (other != null) {
          problems.error(
              Kind.DUPLICATE,
              ref.path(),
              "token " + Quoting.quote(ref.value()) + " is already used by " + other.path()
                  + CrossRules.lineOf(other)
                  + "; two services on one token cannot be told apart (expected: a token ref of its own)",
              ref.mark(),
              "a secret reference name not used by another service");
        }
        use(firstUse, new Use("a service token", ref), problems);
      });
    }
    for (UserRules.Entry user : users) {
      user.passwordRef().ifPresent(ref -> use(firstUse, new Use("a user password", ref), problems));
    }
  }

  private static void use(Map<String, Use> firstUse, Use use, Problems problems) {
    Use first = firstUse.putIfAbsent(use.ref().value(), use);
    if (first != null && !first.kind().equals(use.kind())) {
      problems.error(
          Kind.REFERENCE,
          use.ref().path(),
          Quoting.quote(use.ref().value()) + " is used as " + use.kind() + " here and as " + first.kind()
              + " at " + first.ref().path() + CrossRules.lineOf(first.ref())
              + " (expected: a separate secret for each purpose)",
          use.ref().mark(),
          "a secret reference name not used for anything else");
    }
  }
}
