package dev.parapet.build;

import dev.parapet.core.config.Pricing;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The wizard's answers, and the {@code parapet.yaml} they make. The YAML is emitted through
 * SnakeYAML rather than string templates so that any answer (a model id with a colon, a URL) is
 * quoted correctly.
 */
record StarterSpec(
    String tenant,
    Optional<BigDecimal> tenantDailyCap,
    String route,
    String providerType,
    String model,
    Optional<String> baseUrl,
    Optional<String> providerKeyRef,
    Optional<Pricing> pricing,
    BigDecimal budgetDailyUsd,
    int maxTokensIn,
    int maxTokensOut,
    String redactionMode,
    List<String> redactionPatterns,
    boolean driftStrict,
    String serviceLabel,
    List<String> allowedRoutes,
    String serviceTokenRef,
    String adminUsername,
    String adminPasswordRef) {

  /** The refs the operator must create, in the order they appear in the file. */
  List<String> secretRefs() {
    LinkedHashSet<String> refs = new LinkedHashSet<>();
    providerKeyRef.ifPresent(refs::add);
    refs.add(serviceTokenRef);
    refs.add(adminPasswordRef);
    return new ArrayList<>(refs);
  }

  String toYaml() {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("version", 1);

    Map<String, Object> tenantMap = new LinkedHashMap<>();
    tenantMap.put("name", tenant);
    tenantDailyCap.ifPresent(cap -> tenantMap.put("spend", map("daily_usd_cap", number(cap))));
    root.put("tenants", List.of(tenantMap));

    Map<String, Object> provider = new LinkedHashMap<>();
    provider.put("type", providerType);
    provider.put("model", model);
    providerKeyRef.ifPresent(ref -> provider.put("provider_key_ref", ref));
    baseUrl.ifPresent(url -> provider.put("base_url", url));
    pricing.ifPresent(
        p -> {
          Map<String, Object> prices = new LinkedHashMap<>();
          prices.put("input_per_1m_usd", number(p.inputPer1mUsd()));
          prices.put("output_per_1m_usd", number(p.outputPer1mUsd()));
          provider.put("pricing", prices);
        });

    Map<String, Object> redaction = new LinkedHashMap<>();
    redaction.put("mode", redactionMode);
    redaction.put("patterns", redactionPatterns);
    Map<String, Object> policy = new LinkedHashMap<>();
    policy.put("max_tokens_in", maxTokensIn);
    policy.put("max_tokens_out", maxTokensOut);
    policy.put("budget_daily_usd", number(budgetDailyUsd));
    policy.put("drift_strict", driftStrict);
    policy.put("redaction", redaction);

    Map<String, Object> routeMap = new LinkedHashMap<>();
    routeMap.put("name", route);
    routeMap.put("tenant", tenant);
    routeMap.put("provider", provider);
    routeMap.put("policy", policy);
    root.put("routes", List.of(routeMap));

    Map<String, Object> service = new LinkedHashMap<>();
    service.put("label", serviceLabel);
    service.put("tenant", tenant);
    service.put("allowed_routes", allowedRoutes);
    service.put("parapet_token_ref", serviceTokenRef);
    root.put("services", List.of(service));

    Map<String, Object> user = new LinkedHashMap<>();
    user.put("username", adminUsername);
    user.put("role", "admin");
    user.put("password_ref", adminPasswordRef);
    root.put("users", List.of(user));

    return "# Written by parapet-build init. Safe to commit: only secret *names* (*_ref) are here.\n"
        + yaml().dump(root);
  }

  static Yaml yaml() {
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setIndent(2);
    options.setIndicatorIndent(2);
    options.setIndentWithIndicator(true);
    options.setWidth(120);
    return new Yaml(options);
  }

  private static Map<String, Object> map(String key, Object value) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(key, value);
    return m;
  }

  /** A plain YAML number: an integer when whole, else a decimal (SnakeYAML tags BigDecimal). */
  static Object number(BigDecimal v) {
    BigDecimal s = v.stripTrailingZeros();
    if (s.scale() <= 0 && s.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) < 0) {
      return s.longValueExact();
    }
    return s.doubleValue();
  }
}
