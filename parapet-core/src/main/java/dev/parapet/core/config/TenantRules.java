package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.Node;

/** {@code tenants[]}: accounting boundaries with an optional daily cap over all their routes. */
final class TenantRules {
  static final List<String> KEYS = List.of("name", "spend", "notes");

  record Entry(Optional<Named> name, Optional<Tenant> tenant) {}

  private TenantRules() {}

  static List<Entry> readAll(Section top) {
    List<Node> items = top.list("tenants", "a list of tenants");
    if (items.isEmpty() && !top.holdsNonList("tenants")) {
      FirstItem.reportMissing(top, "tenants", "tenant", TenantRules::read);
      return List.of();
    }
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      String path = SpecPath.item(top.path("tenants"), i);
      entries.add(read(Section.of(items.get(i), path, top.problems(), "a mapping with name")));
    }
    return entries;
  }

  static Entry read(Section s) {
    int errorsBefore = s.problems().failureCount();
    s.allowOnly(KEYS);
    Optional<Named> name = s.name("name", true, Names.IDENTIFIER, Named.IDENTIFIER_HINT);
    Section spend = s.section("spend", "a mapping with daily_usd_cap");
    spend.allowOnly(List.of("daily_usd_cap"));
    Optional<BigDecimal> cap = spend.decimal("daily_usd_cap", false);
    if (cap.isPresent() && cap.get().signum() == 0) {
      s.problems()
          .warning(
              Kind.VALUE,
              spend.path("daily_usd_cap"),
              "0: no route of this tenant can ever spend; every call is refused",
              spend.mark("daily_usd_cap"));
    }
    Optional<String> notes = s.string("notes", false, "text");
    Optional<Tenant> tenant =
        s.build(errorsBefore, () -> new Tenant(name.orElseThrow().value(), cap, notes));
    return new Entry(name, tenant);
  }
}
