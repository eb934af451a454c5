package dev.parapet.core.config;

import java.util.Objects;

/** An LLM capability services call ({@code routes[]}): the unit of enforcement. */
public record Route(String name, String tenant, ProviderSpec provider, Policy policy) {
  public Route {
    Names.requireMatch(Names.IDENTIFIER, "name", name);
    Names.requireMatch(Names.IDENTIFIER, "tenant", tenant);
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(policy, "policy");
  }
}
