package dev.parapet.core.seal;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.Pricing;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Role;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.config.User;
import java.math.BigDecimal;
import java.net.URI;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A small but complete spec with canary secrets that must never show up in any output. */
final class Fixtures {
  static final String OPENAI_KEY = "sk-CANARY0openai0key0do0not0print0000";
  static final String ANTHROPIC_KEY = "sk-ant-CANARY1anthropic1key1secret111";
  static final String TOKEN_A = "CANARY2service2a2token2222222222222222";
  static final String TOKEN_B = "CANARY3service3b3token3333333333333333";
  static final String PW_TRIP = "CANARY4trip4password";
  static final String PW_FINANCE = "CANARY5finance5password";

  /** Every canary, for "appears nowhere" assertions. */
  static final List<String> CANARIES =
      List.of(OPENAI_KEY, ANTHROPIC_KEY, TOKEN_A, TOKEN_B, PW_TRIP, PW_FINANCE);

  static final SecureRandom RANDOM = new SecureRandom();

  private static HydratedConfig cached;

  private Fixtures() {}

  static Map<String, String> secrets() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("OPENAI_KEY_PROD", OPENAI_KEY);
    m.put("ANTHROPIC_KEY", ANTHROPIC_KEY);
    m.put("SERVICE_A_TOKEN", TOKEN_A);
    m.put("SERVICE_B_TOKEN", TOKEN_B);
    m.put("PARAPET_ADMIN_TRIP_PW", PW_TRIP);
    m.put("PARAPET_FINANCE_PW", PW_FINANCE);
    return m;
  }

  /** A source over {@code values} that hands out fresh arrays, as a real one would. */
  static SecretSource source(Map<String, String> values) {
    return SecretSource.of(values);
  }

  static ParapetSpec spec() {
    return spec(false);
  }

  /** The same spec; {@code reordered} lists everything in another order. */
  static ParapetSpec spec(boolean reordered) {
    List<Tenant> tenants = new ArrayList<>(List.of(
        new Tenant("prod", Optional.of(new BigDecimal("1000.00")), Optional.of("primary \"prod\" ✓")),
        new Tenant("lab", Optional.empty(), Optional.empty())));
    List<Route> routes = new ArrayList<>(List.of(
        summarizer(reordered, new BigDecimal("500")),
        new Route("claude", "prod",
            new ProviderSpec(ProviderType.ANTHROPIC, "claude-3-5-sonnet-20241022",
                Optional.of("ANTHROPIC_KEY"), Optional.of(URI.create("https://api.anthropic.com/v1")),
                List.of(), Optional.empty(), 30_000),
            new Policy(8000, 1000, new BigDecimal("0.5"), false, RedactionPolicy.OFF)),
        new Route("echo-demo", "lab",
            new ProviderSpec(ProviderType.ECHO, "echo", Optional.empty(), Optional.empty(),
                List.of(), Optional.of(Pricing.FREE), ProviderSpec.DEFAULT_TIMEOUT_MS),
            new Policy(100, 100, BigDecimal.ZERO, true,
                new RedactionPolicy(RedactionMode.BLOCK, List.of(RedactionPattern.PRIVATE_KEY), true)))));
    List<Service> services = new ArrayList<>(List.of(
        new Service("service-a", "prod",
            reordered ? List.of("summarizer", "claude") : List.of("claude", "summarizer"),
            "SERVICE_A_TOKEN"),
        new Service("service-b", "lab", List.of("echo-demo"), "SERVICE_B_TOKEN")));
    List<User> users = new ArrayList<>(List.of(
        new User("trip", Role.ADMIN, "PARAPET_ADMIN_TRIP_PW"),
        new User("finance", Role.VIEWER, "PARAPET_FINANCE_PW")));
    if (reordered) {
      Collections.reverse(tenants);
      Collections.reverse(routes);
      Collections.reverse(services);
      Collections.reverse(users);
    }
    return new ParapetSpec(1, tenants, routes, services, users);
  }

  static Route summarizer(boolean reordered, BigDecimal budget) {
    List<RedactionPattern> patterns = reordered
        ? List.of(RedactionPattern.API_KEY, RedactionPattern.EMAIL)
        : List.of(RedactionPattern.EMAIL, RedactionPattern.API_KEY);
    List<String> allowed = reordered
        ? List.of("gpt-4o-2024-11-20", "gpt-4o-2024-08-06")
        : List.of("gpt-4o-2024-08-06", "gpt-4o-2024-11-20");
    return new Route("summarizer", "prod",
        new ProviderSpec(ProviderType.OPENAI, "gpt-4o-2024-08-06", Optional.of("OPENAI_KEY_PROD"),
            Optional.of(URI.create("https://api.openai.com/v1")), allowed,
            Optional.of(new Pricing(new BigDecimal(reordered ? "2.500" : "2.5"), new BigDecimal("10.00"))),
            60_000),
        new Policy(6000, 2000, budget, true,
            new RedactionPolicy(RedactionMode.WARN, patterns, false)));
  }

  /** The fixture spec hydrated with the canary secrets (Argon2id runs once per JVM). */
  static synchronized HydratedConfig hydrated() {
    if (cached == null) {
      try {
        cached = Hydrator.hydrate(spec(), source(secrets())).config();
      } catch (MissingSecretsException e) {
        throw new AssertionError(e);
      }
    }
    return cached;
  }

  static MasterKey key() {
    return MasterKey.generate(RANDOM);
  }
}
