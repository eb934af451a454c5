package dev.parapet.runtime.telemetry;

import dev.parapet.core.budget.Cost;
import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Pricing;
import dev.parapet.core.config.Route;
import dev.parapet.core.pricing.PriceTable;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.provider.Usage;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a call on each route cost, priced once at boot with {@link PriceTable#effective}: the same
 * rounding the spend ledger settles with, so telemetry and spend agree to the nano-USD.
 */
public final class RouteCosts {
  private final Map<String, Pricing> byRoute = new HashMap<>();
  private final Map<String, BigDecimal> cachedInputByRoute = new HashMap<>();

  public RouteCosts(ParapetSpec spec) {
    for (Route r : spec.routes()) {
      byRoute.put(r.name(), PriceTable.effective(r.provider()));
      PriceTable.cachedInput(r.provider()).ifPresent(rate -> cachedInputByRoute.put(r.name(), rate));
    }
  }

  /** The cost of {@code usage} on {@code request}'s route ({@link #nanoUsd(Route, Usage)}). */
  public long nanoUsd(GatewayRequest request, Usage usage) {
    return nanoUsd(request.route(), usage);
  }

  /**
   * The cost of {@code usage} on {@code route}, in nano-USD, its cached prompt tokens at the
   * route's cached-input price ({@link Cost#actual(Pricing, long, long, Optional, long)}); 0 for a
   * route not in the spec.
   */
  public long nanoUsd(Route route, Usage usage) {
    Pricing p = byRoute.get(route.name());
    return p == null ? 0 : Cost.actual(p, usage.promptTokens(), usage.cachedPromptTokens(),
        Optional.ofNullable(cachedInputByRoute.get(route.name())), usage.completionTokens());
  }
}
