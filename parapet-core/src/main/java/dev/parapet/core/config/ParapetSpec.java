package dev.parapet.core.config;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A validated {@code parapet.yaml} (version 1), with defaults applied. Only {@link
 * dev.parapet.core.config.SpecValidator} builds these from YAML; cross-references are checked
 * there, so a {@code ParapetSpec} in hand is consistent.
 */
public record ParapetSpec(
    int version, List<Tenant> tenants, List<Route> routes, List<Service> services, List<User> users) {

  public static final int CURRENT_VERSION = 1;

  public ParapetSpec {
    if (version != CURRENT_VERSION) {
      throw new IllegalArgumentException("version: " + version + " (expected: 1)");
    }
    tenants = List.copyOf(tenants);
    routes = List.copyOf(routes);
    services = List.copyOf(services);
    users = List.copyOf(users);
  }

  public Optional<Tenant> tenant(String name) {
    return tenants.stream().filter(t -> t.name().equals(name)).findFirst();
  }

  public Optional<Route> route(String name) {
    return routes.stream().filter(r -> r.name().equals(name)).findFirst();
  }

  public Optional<Service> service(String label) {
    return services.stream().filter(s -> s.label().equals(label)).findFirst();
  }

  public Optional<User> user(String username) {
    return users.stream().filter(u -> u.username().equals(username)).findFirst();
  }

  /** Every secret reference name the spec uses, in first-use order, each once. */
  public List<String> secretRefs() {
    Set<String> refs = new LinkedHashSet<>();
    routes.forEach(r -> r.provider().providerKeyRef().ifPresent(refs::add));
    services.forEach(s -> refs.add(s.parapetTokenRef()));
    users.forEach(u -> refs.add(u.passwordRef()));
    return new ArrayList<>(refs);
  }
}
