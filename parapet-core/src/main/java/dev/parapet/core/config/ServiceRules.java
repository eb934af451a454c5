package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.Node;

/** {@code services[]}: internal callers, each locked to explicit routes of its own tenant. */
final class ServiceRules {
  static final List<String> KEYS = List.of("label", "tenant", "allowed_routes", "parapet_token_ref");

  record Entry(
      Optional<Named> label,
      Optional<Named> tenant,
      List<Named> allowedRoutes,
      Optional<Named> tokenRef,
      Optional<Service> service) {}

  private ServiceRules() {}

  /** @param tenantHint what to ask for a tenant, naming the defined ones */
  static List<Entry> readAll(Section top, String tenantHint) {
    List<Node> items = top.list("services", "a list of services");
    if (items.isEmpty() && !top.holdsNonList("services")) {
      top.problems()
          .warning(
              Kind.MISSING,
              "services",
              "no services: nothing can call Parapet until one is defined",
              top.mark("services"));
      return List.of();
    }
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      String path = SpecPath.item(top.path("services"), i);
      entries.add(read(Section.of(items.get(i), path, top.problems(), "a mapping with label"), tenantHint));
    }
    return entries;
  }

  static Entry read(Section s, String tenantHint) {
    int errorsBefore = s.problems().failureCount();
    s.allowOnly(KEYS);
    Optional<Named> label = s.name("label", true, Names.IDENTIFIER, Named.IDENTIFIER_HINT);
    Optional<Named> tenant = s.name("tenant", true, Names.IDENTIFIER, tenantHint);
    List<Named> routes = new ArrayList<>();
    List<Node> items = s.list("allowed_routes", "a list of route names");
    for (int i = 0; i < items.size(); i++) {
      String path = SpecPath.item(s.path("allowed_routes"), i);
      Node item = items.get(i);
      Problem.Mark at = Problem.Mark.of(item.getStartMark());
      Scalars.string(item, path, at, s.problems(), "the name of a route")
          .ifPresent(name -> routes.add(new Named(name, path, at)));
    }
    if (items.isEmpty() && !s.holdsNonList("allowed_routes")) {
      s.problems()
          .warning(Kind.MISSING, s.path("allowed_routes"), "no routes: this service can call nothing", s.mark("allowed_routes"));
    }
    Optional<Named> token = s.secretRef("parapet_token_ref", true);
    Optional<Service> service =
        s.build(
            errorsBefore,
            () ->
                new Service(
                    label.orElseThrow().value(),
                    tenant.orElseThrow().value(),
                    routes.stream().map(Named::value).toList(),
                    token.orElseThrow().value()));
    return new Entry(label, tenant, routes, token, service);
  }
}
