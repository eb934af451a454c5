package dev.parapet.runtime.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.runtime.GatewayRequest;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;

/** GatewayRequests for handler tests: an OpenAI route {@code r} of tenant prod with the given policy. */
public final class PolicyRequests {
  private PolicyRequests() {}

  public static GatewayRequest request(String json, int maxTokensIn, RedactionPolicy redaction) throws IOException {
    Route route = new Route("r", "prod", new ProviderSpec(ProviderType.OPENAI, "gpt-4o-2024-08-06",
        Optional.empty(), Optional.empty(), List.of(), Optional.empty(), 60_000),
        new Policy(maxTokensIn, 100, BigDecimal.ONE, true, redaction));
    ObjectNode body = (ObjectNode) new ObjectMapper().readTree(json);
    return new GatewayRequest("id-1", new Service("svc", "prod", List.of("r"), "T"), route, body, false, true, 0);
  }
}
