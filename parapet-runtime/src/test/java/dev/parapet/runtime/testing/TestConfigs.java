package dev.parapet.runtime.testing;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.TokenDigest;
import dev.parapet.runtime.FrontConfig;
import dev.parapet.runtime.auth.TokenMatcher;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A small two-tenant config: tenant prod has routes summarizer (max_tokens_out 2000) and writer;
 * tenant other has route elsewhere. Service svc-a (prod) may call summarizer only; svc-b (other)
 * may call elsewhere; svc-c (prod) may call summarizer and writer.
 */
public final class TestConfigs {
  public static final String TOKEN_A = "tok-a-0123456789abcdef";
  public static final String TOKEN_B = "tok-b-0123456789abcdef";
  public static final String TOKEN_C = "tok-c-0123456789abcdef";
  public static final String SHA = "ab".repeat(32);
  public static final int MAX_TOKENS_OUT = 2000;

  private TestConfigs() {}

  public static Route route(String name, String tenant, String model) {
    return new Route(name, tenant,
        new ProviderSpec(ProviderType.ECHO, model, Optional.empty(), Optional.empty(), List.of(),
            Optional.empty(), 60_000),
        new Policy(6000, MAX_TOKENS_OUT, new BigDecimal("500"), true, RedactionPolicy.OFF));
  }

  public static HydratedConfig config() {
    ParapetSpec spec = new ParapetSpec(1,
        List.of(new Tenant("prod", Optional.empty(), Optional.empty()),
            new Tenant("other", Optional.empty(), Optional.empty())),
        List.of(route("summarizer", "prod", "echo-2024-01-01"),
            route("writer", "prod", "echo-writer"),
            route("elsewhere", "other", "echo-other")),
        List.of(new Service("svc-a", "prod", List.of("summarizer"), "SVC_A_TOKEN"),
            new Service("svc-b", "other", List.of("elsewhere"), "SVC_B_TOKEN"),
            new Service("svc-c", "prod", List.of("summarizer", "writer"), "SVC_C_TOKEN")),
        List.of());
    return new HydratedConfig(spec, Map.of(),
        Map.of("svc-a", digest(TOKEN_A), "svc-b", digest(TOKEN_B), "svc-c", digest(TOKEN_C)),
        Map.of());
  }

  public static FrontConfig front() {
    HydratedConfig c = config();
    return new FrontConfig(c.spec(), SHA, c.serviceTokenDigests(), MATCHER);
  }

  public static String digest(String token) {
    return TokenDigest.of(token.getBytes(StandardCharsets.UTF_8));
  }

  public static final TokenMatcher MATCHER = TokenDigest::matches;
}
