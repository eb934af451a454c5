package dev.parapet.core.config;

import dev.parapet.core.config.Problem.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;

/** {@code routes[]}: the unit of enforcement, a provider and model pinned under a policy. */
final class RouteRules {
  static final List<String> KEYS = List.of("name", "tenant", "provider", "policy");

  /**
   * A dated snapshot id: {@code -2024-08-06} (OpenAI), {@code -20241022} (Anthropic) or the older
   * {@code -0613} style, also as OpenAI's dated previews ({@code gpt-4-1106-preview}, which it
   * reports as itself). Anything else is an alias the provider may move to a new snapshot.
   */
  private static final Pattern DATED =
      Pattern.compile(".*-(\\d{4}-\\d{2}-\\d{2}|\\d{8}|\\d{4})(-preview)?");

  record Entry(
      Optional<Named> name, Optional<Named> tenant, Optional<Named> keyRef, Optional<Route> route) {}

  private RouteRules() {}

  /** @param tenantHint what to ask for a tenant, naming the defined ones */
  static List<Entry> readAll(Section top, String tenantHint) {
    List<Node> items = top.list("routes", "a list of routes");
    if (items.isEmpty() && !top.holdsNonList("routes")) {
      FirstItem.reportMissing(top, "routes", "route", s -> read(s, tenantHint));
      return List.of();
    }
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      String path = SpecPath.item(top.path("routes"), i);
      entries.add(read(Section.of(items.get(i), path, top.problems(), "a mapping with name"), tenantHint));
    }
    return entries;
  }

  static Entry read(Section s, String tenantHint) {
    int errorsBefore = s.problems().failureCount();
    s.allowOnly(KEYS);
    Optional<Named> name = s.name("name", true, Names.IDENTIFIER, Named.IDENTIFIER_HINT);
    Optional<Named> tenant = s.name("tenant", true, Names.IDENTIFIER, tenantHint);
    Section providerSection = s.section("provider", "a mapping with type and model");
    ProviderRules.Result provider = ProviderRules.read(providerSection);
    Section policySection = s.section("policy", "a mapping with max_tokens_in, max_tokens_out, budget_daily_usd");
    PolicyRules.Result policy = PolicyRules.read(policySection);
    warnUndatedPin(policySection, provider, policy);
    Optional<Route> route =
        s.build(
            errorsBefore,
            () ->
                new Route(
                    name.orElseThrow().value(),
                    tenant.orElseThrow().value(),
                    provider.spec().orElseThrow(),
                    policy.policy().orElseThrow()));
    return new Entry(name, tenant, provider.keyRef(), route);
  }

  /**
   * SPEC §2: providers answer an alias with a dated snapshot ({@code gpt-4o} reports {@code
   * gpt-4o-2024-08-06}), so drift_strict on an alias refuses every call unless the snapshot is in
   * allowed_response_models. Local servers are warned too (what they report is up to them); echo
   * answers locally with the pinned id and cannot drift.
   */
  private static void warnUndatedPin(Section policy, ProviderRules.Result provider, PolicyRules.Result result) {
    boolean canDrift = provider.type().filter(t -> t != ProviderType.ECHO).isPresent();
    if (!result.driftStrict() || !canDrift || provider.model().isEmpty()
        || !provider.allowedResponseModels().isEmpty()) {
      return;
    }
    String model = provider.model().get();
    if (provider.type().orElseThrow() == ProviderType.LOCAL) {
      policy.problems()
          .warning(
              Kind.VALUE,
              policy.path("drift_strict"),
              "drift_strict pins " + Quoting.quote(model) + " on a local server, which reports a model"
                  + " name of its own choosing (llama.cpp a file path or alias, vLLM its served name,"
                  + " Ollama its tag) and drift_strict refuses any other: check what it reports and pin"
                  + " that or list it in provider.allowed_response_models",
              policy.mark("drift_strict"));
    } else if (!isDatedSnapshot(model)) {
      policy.problems()
          .warning(
              Kind.VALUE,
              policy.path("drift_strict"),
              "drift_strict pins " + Quoting.quote(model) + ", an undated alias; providers report the"
                  + " dated snapshot they served (gpt-4o answers as gpt-4o-2024-08-06), which drift_strict"
                  + " refuses: pin the snapshot you reviewed or list it in provider.allowed_response_models",
              policy.mark("drift_strict"));
    }
  }

  static boolean isDatedSnapshot(String model) {
    return DATED.matcher(model).matches();
  }
}
