package dev.parapet.bench.jmh;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.SpecLoader;
import dev.parapet.core.config.SpecValidator;
import dev.parapet.core.config.ValidationResult;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.Hydrator;
import dev.parapet.core.seal.SecretSource;
import java.util.Map;

/** Specs the benchmarks need, built through the same loader and validator the CLI uses. */
final class BenchConfigs {
  static final String MODEL = "gpt-4o-2024-08-06";

  private BenchConfigs() {}

  /** A valid spec of {@code routes} openai routes with every policy on, and one service. */
  static ParapetSpec spec(int routes) {
    StringBuilder y = new StringBuilder("version: 1\ntenants:\n  - name: bench\nroutes:\n");
    StringBuilder names = new StringBuilder();
    for (int i = 0; i < routes; i++) {
      String name = String.format("route-%03d", i);
      names.append(i == 0 ? "" : ", ").append(name);
      y.append("  - name: ").append(name).append('\n')
          .append("    tenant: bench\n")
          .append("    provider:\n")
          .append("      type: openai\n")
          .append("      model: ").append(MODEL).append('\n')
          .append("      provider_key_ref: OPENAI_KEY_BENCH\n")
          .append("      base_url: http://127.0.0.1:18081/json/v1\n")
          .append("      pricing: {input_per_1m_usd: 2.5, output_per_1m_usd: 10}\n")
          .append("    policy:\n")
          .append("      max_tokens_in: 100000\n")
          .append("      max_tokens_out: 1024\n")
          .append("      budget_daily_usd: 1000\n")
          .append("      drift_strict: true\n")
          .append("      redaction:\n")
          .append("        mode: warn\n")
          .append("        patterns: [EMAIL, API_KEY, BEARER_TOKEN, JWT, PRIVATE_KEY, CREDIT_CARD, IPV4]\n")
          .append("        scan_output: true\n");
    }
    y.append("services:\n  - label: bench\n    tenant: bench\n    allowed_routes: [").append(names)
        .append("]\n    parapet_token_ref: BENCH_SERVICE_TOKEN\n")
        .append("users:\n  - {username: bench, role: admin, password_ref: BENCH_ADMIN_PW}\n");
    ValidationResult r = SpecValidator.validate(SpecLoader.parse(y.toString(), "bench.yaml"));
    return r.spec().orElseThrow(() -> new IllegalStateException("bench spec invalid: " + r.errors()));
  }

  static HydratedConfig hydrated(ParapetSpec spec) throws Exception {
    return Hydrator.hydrate(spec, SecretSource.of(Map.of(
        "OPENAI_KEY_BENCH", "sk-bench-not-a-real-key",
        "BENCH_SERVICE_TOKEN", "bench-token-0123456789abcdefghijklmnop",
        "BENCH_ADMIN_PW", "bench-admin-password"))).config();
  }
}
