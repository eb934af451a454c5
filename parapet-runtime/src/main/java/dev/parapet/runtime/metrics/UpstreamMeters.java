package dev.parapet.runtime.metrics;

import dev.parapet.runtime.upstream.PoolStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The provider connection pools' saturation, read at scrape time: {@code
 * parapet_upstream_connections_open}, {@code parapet_upstream_connections_waiting} (calls waiting
 * for a connection: their pool is at {@code PARAPET_UPSTREAM_MAX_PER_ORIGIN}) and {@code
 * parapet_upstream_pool_exhausted_total} (calls refused 503 {@code unavailable} for want of one,
 * which {@code parapet_refusals_total{code="unavailable"}} cannot tell from a failing store).
 * Labelled {@code origin} ({@code scheme://host:port} of the routes' base URLs, so bounded by the
 * config), summed over event loops: with an OpenAI and an Anthropic route, which one is saturated.
 * No unlabelled total beside them: {@code sum()} over the family would count it twice.
 */
final class UpstreamMeters {
  static final String ORIGIN = "origin";

  private UpstreamMeters() {}

  static void register(MeterRegistry registry, PoolStats pools) {
    pools.watch(o -> register(registry, o));
  }

  private static void register(MeterRegistry registry, PoolStats.OfOrigin o) {
    Gauge.builder("parapet.upstream.connections.open", o, PoolStats.OfOrigin::open).tag(ORIGIN, o.origin())
        .description("Connections to providers open, in use or resting").strongReference(true).register(registry);
    Gauge.builder("parapet.upstream.connections.waiting", o, PoolStats.OfOrigin::waiting).tag(ORIGIN, o.origin())
        .description("Calls waiting for a provider connection: their pool is at PARAPET_UPSTREAM_MAX_PER_ORIGIN")
        .strongReference(true).register(registry);
    FunctionCounter.builder("parapet.upstream.pool.exhausted", o, PoolStats.OfOrigin::exhausted)
        .tag(ORIGIN, o.origin())
        .description("Calls that got no provider connection: pool and waiting line full, or the wait ran out")
        .register(registry);
  }
}
