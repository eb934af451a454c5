package dev.parapet.core.config;

import java.util.List;

/** An internal caller ({@code services[]}), locked to explicit routes of its tenant. */
public record Service(String label, String tenant, List<String> allowedRoutes, String parapetTokenRef) {
  public Service {
    Names.requireMatch(Names.IDENTIFIER, "label", label);
    Names.requireMatch(Names.IDENTIFIER, "tenant", tenant);
    allowedRoutes = List.copyOf(allowedRoutes.stream().distinct().toList());
    Names.requireMatch(Names.SECRET_REF, "parapet_token_ref", parapetTokenRef);
  }
}
