package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import java.math.BigDecimal;
import java.net.URI;
import java.util.List;
import java.util.Optional;

/** Routes and requests for provider tests. */
final class TestRoutes {
  private TestRoutes() {}

  static Route route(ProviderType type, String model, Optional<String> baseUrl) {
    ProviderSpec spec = new ProviderSpec(type, model, Optional.empty(), baseUrl.map(URI::create),
        List.of(), Optional.empty(), ProviderSpec.DEFAULT_TIMEOUT_MS);
    Policy policy = new Policy(6000, 2000, BigDecimal.TEN, true,
        RedactionPolicy.OFF);
    return new Route("r1", "prod", spec, policy);
  }

  static ObjectNode json(String s) {
    try {
      return (ObjectNode) Json.MAPPER.readTree(s);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }
}
