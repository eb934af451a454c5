package dev.parapet.build;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.config.User;
import dev.parapet.core.pricing.PriceTable;
import dev.parapet.core.seal.HydratedConfig;
import java.io.PrintStream;
import java.math.BigDecimal;

/**
 * The readable form of a sealed config for {@code inspect}: what a reviewer checks (caps, pinned
 * models, policies, who may call what). Secrets are shown only as their ref name and
 * {@link #MASK}; digests and password hashes are not shown at all, since even a digest lets an
 * offline guesser test candidates.
 */
final class StateSummary {
  static final String MASK = "****";

  private StateSummary() {}

  static void print(HydratedConfig config, PrintStream out) {
    ParapetSpec spec = config.spec();
    out.println("tenants:");
    for (Tenant t : spec.tenants()) {
      out.println("  " + t.name() + ": daily cap "
          + t.dailyUsdCap().map(v -> usd(v) + "/day").orElse("none (route budgets only)")
          + t.notes().map(n -> "  # " + dev.parapet.core.config.Quoting.quote(n)).orElse(""));
    }
    out.println("routes:");
    for (Route r : spec.routes()) {
      printRoute(r, config, out);
    }
    out.println("services:");
    for (Service s : spec.services()) {
      out.println("  " + s.label() + ": tenant " + s.tenant()
          + ", routes [" + String.join(", ", s.allowedRoutes()) + "]"
          + ", token " + s.parapetTokenRef() + "=" + MASK
          + (config.serviceTokenDigests().containsKey(s.label()) ? "" : " (no digest!)"));
    }
    out.println("users:");
    for (User u : spec.users()) {
      out.println("  " + u.username() + ": role " + u.role().yamlName()
          + ", password " + u.passwordRef() + "=" + MASK);
    }
  }

  private static void printRoute(Route r, HydratedConfig config, PrintStream out) {
    ProviderSpec p = r.provider();
    Policy pol = r.policy();
    out.println("  " + r.name() + ":");
    out.println("    tenant: " + r.tenant());
    out.println("    provider: " + p.type().yamlName() + ", model " + p.model()
        + (p.allowedResponseModels().isEmpty() ? "" : ", also accepts [" + String.join(", ", p.allowedResponseModels()) + "]"));
    out.println("    base_url: " + p.baseUrl().map(Object::toString).orElse("(none: answered locally)"));
    out.println("    provider key: " + p.providerKeyRef()
        .map(ref -> ref + "=" + MASK + (config.providerKeys().containsKey(ref) ? "" : " (missing!)"))
        .orElse("(none)"));
    out.println("    timeout: " + p.timeoutMs() + " ms");
    out.println("    pricing: " + p.pricing()
        .map(pr -> usd(pr.inputPer1mUsd()) + " in / " + usd(pr.outputPer1mUsd()) + " out per 1M tokens (from the spec)")
        .orElse(PriceTable.builtIn(p.type(), p.model())
            .map(pr -> usd(pr.inputPer1mUsd()) + " in"
                + PriceTable.cachedInput(p).map(c -> " (" + usd(c) + " cached)").orElse("")
                + " / " + usd(pr.outputPer1mUsd()) + " out per 1M tokens (built-in table, " + PriceTable.AS_OF + ")")
            .orElse("free (no price given)")));
    out.println("    policy: max_tokens_in " + pol.maxTokensIn() + ", max_tokens_out " + pol.maxTokensOut()
        + ", budget " + usd(pol.budgetDailyUsd()) + "/day, drift_strict " + pol.driftStrict());
    out.println("    redaction: " + pol.redaction().mode().yamlName()
        + " [" + String.join(", ", pol.redaction().patterns().stream().map(RedactionPattern::name).toList()) + "]"
        + ", scan_output " + pol.redaction().scanOutput());
  }

  static String usd(BigDecimal v) {
    return "$" + v.stripTrailingZeros().toPlainString();
  }
}
