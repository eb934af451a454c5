package dev.parapet.core.seal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.SpecConsistency;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The runtime's second look at a sealed spec: cross-references hold, or the blob does not open. */
class SpecConsistencyTest {

  @Test
  void theFixtureSpecIsConsistent() {
    assertEquals(List.of(), SpecConsistency.check(Fixtures.spec()));
  }

  @Test
  void namesEveryBrokenReference() {
    ParapetSpec good = Fixtures.spec();
    List<Route> routes = new ArrayList<>(good.routes());
    Route first = routes.get(0);
    routes.add(new Route(first.name(), "nowhere", first.provider(), first.policy()));
    List<Service> services = new ArrayList<>(good.services());
    Service s = services.get(0);
    services.set(0, new Service(s.label(), "ghost", List.of("missing-route"), s.parapetTokenRef()));
    ParapetSpec bad = new ParapetSpec(1, good.tenants(), routes, services, good.users());

    List<String> problems = SpecConsistency.check(bad);

    assertTrue(problems.contains("routes: \"" + first.name() + "\" appears twice"), problems::toString);
    assertTrue(problems.contains("routes." + first.name() + ".tenant: \"nowhere\" is not a tenant"),
        problems::toString);
    assertTrue(problems.contains("services." + s.label() + ".tenant: \"ghost\" is not a tenant"),
        problems::toString);
    assertTrue(problems.contains("services." + s.label() + ".allowed_routes: \"missing-route\" is not a route"),
        problems::toString);
  }

  @Test
  void aServiceAllowedAnotherTenantsRouteIsNamed() {
    ParapetSpec good = Fixtures.spec();
    Route labRoute = good.routes().stream().filter(r -> r.tenant().equals("lab")).findFirst().orElseThrow();
    List<Service> services = new ArrayList<>(good.services());
    Service prodService =
        services.stream().filter(x -> x.tenant().equals("prod")).findFirst().orElseThrow();
    services.set(services.indexOf(prodService), new Service(prodService.label(), "prod",
        List.of(labRoute.name()), prodService.parapetTokenRef()));
    ParapetSpec bad = new ParapetSpec(1, good.tenants(), good.routes(), services, good.users());

    assertEquals(List.of("services." + prodService.label() + ".allowed_routes: \"" + labRoute.name()
        + "\" belongs to tenant \"lab\", not \"prod\""), SpecConsistency.check(bad));
  }

  @Test
  void anInconsistentConfigCannotBeSealedSoNeverBoots() throws Exception {
    ParapetSpec good = Fixtures.spec();
    List<Route> routes = new ArrayList<>(good.routes());
    Route first = routes.get(0);
    routes.set(0, new Route(first.name(), "nowhere", first.provider(), first.policy()));
    ParapetSpec bad = new ParapetSpec(1, good.tenants(), routes, good.services(), good.users());
    HydratedConfig config = Hydrator.hydrate(bad, Fixtures.source(Fixtures.secrets())).config();
    try (MasterKey key = MasterKey.generate(Fixtures.RANDOM)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Sealer.seal(config, key, Fixtures.RANDOM));
      assertTrue(e.getMessage().contains("is not a tenant"), e::getMessage);
    }
  }
}
