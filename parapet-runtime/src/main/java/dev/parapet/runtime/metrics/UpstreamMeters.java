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
 * Unlabelled: the pools are per event loop and origin, and a sum is what an alert needs.
 */
final class UpstreamMeters {
  private UpstreamMeters() {}

  static void register(MeterRegistry registry, PoolStats pools) {
    Gauge.builder("parapet.upstream.connections.open", pools, PoolStats::open)
        .description("Connections to providers open, in use or resting").strongReference(true).register(registry);
    Gauge.builder("parapet.upstream.connections.waiting", pools, PoolStats::waiting)
        .description("Calls waiting for a provider connection: their pool is at PARAPET_UPSTREAM_MAX_PER_ORIGIN")
        .strongReference(true).register(registry);
    FunctionCounter.builder("parapet.upstream.pool.exhausted", pools, PoolStats::exhausted)
        .description("Calls that got no provider connection: pool and waiting line full, or the wait ran out")
        .register(registry);
  }
}
