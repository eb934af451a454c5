package dev.parapet.core.config;

import dev.parapet.core.pricing.PriceTable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The cross-reference rules of SPEC §2, checked on records rather than on YAML. {@link
 * SpecValidator} reports these with line and column while an operator edits; this is the second
 * look the runtime takes at boot ("decrypt, validate") on a spec that arrived sealed, so a blob
 * built by another tool or an older build can never start a gateway whose routes point nowhere.
 */
public final class SpecConsistency {
  private SpecConsistency() {}

  /** Every inconsistency, each naming the entry and what it refers to; empty when consistent. */
  public static List<String> check(ParapetSpec spec) {
    List<String> problems = new ArrayList<>();
    Set<String> tenants = unique(problems, "tenants", spec.tenants().stream().map(Tenant::name).toList());
    unique(problems, "routes", spec.routes().stream().map(Route::name).toList());
    unique(problems, "services", spec.services().stream().map(Service::label).toList());
    unique(problems, "users", spec.users().stream().map(User::username).toList());

    for (Route route : spec.routes()) {
      String at = "routes." + route.name();
      if (!tenants.contains(route.tenant())) {
        problems.add(at + ".tenant: " + Quoting.quote(route.tenant()) + " is not a tenant");
      }
      ProviderSpec provider = route.provider();
      if (provider.type() != ProviderType.ECHO && provider.baseUrl().isEmpty()) {
        problems.add(at + ".provider.base_url: required for " + provider.type().yamlName());
      }
      if (provider.type().keyRequired() && provider.providerKeyRef().isEmpty()) {
        problems.add(at + ".provider.provider_key_ref: required for " + provider.type().yamlName());
      }
      if (provider.pricing().isEmpty()
          && provider.type() != ProviderType.ECHO
          && PriceTable.builtIn(provider.type(), provider.model()).isEmpty()) {
        problems.add(at + ".provider.pricing: no price for model " + Quoting.quote(provider.model()));
      }
    }
    for (Service service : spec.services()) {
      String at = "services." + service.label();
      if (!tenants.contains(service.tenant())) {
        problems.add(at + ".tenant: " + Quoting.quote(service.tenant()) + " is not a tenant");
      }
      for (String name : service.allowedRoutes()) {
        var route = spec.route(name);
        if (route.isEmpty()) {
          problems.add(at + ".allowed_routes: " + Quoting.quote(name) + " is not a route");
        } else if (!route.get().tenant().equals(service.tenant())) {
          problems.add(at + ".allowed_routes: " + Quoting.quote(name) + " belongs to tenant "
              + Quoting.quote(route.get().tenant()) + ", not " + Quoting.quote(service.tenant()));
        }
      }
    }
    return problems;
  }

  private static Set<String> unique(List<String> problems, String section, List<String> names) {
    Set<String> seen = new HashSet<>();
    for (String name : names) {
      if (!seen.add(name)) {
        problems.add(section + ": " + Quoting.quote(name) + " appears twice");
      }
    }
    return seen;
  }
}
