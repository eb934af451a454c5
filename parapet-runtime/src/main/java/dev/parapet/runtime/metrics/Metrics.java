package dev.parapet.runtime.metrics;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.store.TelemetryStore;
import dev.parapet.runtime.Charges;
import dev.parapet.runtime.Gateway;
import dev.parapet.runtime.telemetry.DailyCaps;
import dev.parapet.runtime.telemetry.RouteCosts;
import dev.parapet.runtime.upstream.PoolStats;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The gateway's Prometheus registry and everything that feeds it: the per-request recorder, the
 * budget gauges, the process meters and, once it listens, the gateway's front. {@link #scrape()} renders the text exposition format
 * 0.0.4; it reads in-memory meters only (no store access), but it still runs off the event loop
 * with the other read-only surfaces.
 */
public final class Metrics implements AutoCloseable {
  /** The content type of {@link #scrape()}. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final ProcessMeters process;
  private final MetricsRecorder recorder;
  private final BudgetGauges budgets;

  public Metrics(ParapetSpec spec, RouteCosts costs, DailyCaps caps, TelemetryStore store, Charges charges) {
    this.process = new ProcessMeters(registry, store);
    this.recorder = new MetricsRecorder(registry, spec, costs, charges);
    this.budgets = new BudgetGauges(registry, caps, store);
  }

  /** The shared recorder handler. */
  public MetricsRecorder recorder() {
    return recorder;
  }

  public BudgetGauges budgets() {
    return budgets;
  }

  /** The registry, for meters of other parts (the read-only surfaces' own counters). */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Adds the meters of the listening gateway's front ({@link FrontMeters}). */
  public void watch(Gateway gateway) {
    FrontMeters.register(registry, gateway);
  }

  /** Adds the provider connection pools' meters ({@link UpstreamMeters}). */
  public void watch(PoolStats pools) {
    UpstreamMeters.register(registry, pools);
  }

  /** Every meter in the Prometheus text format 0.0.4. */
  public String scrape() {
    return registry.scrape(CONTENT_TYPE);
  }

  @Override
  public void close() {
    process.close();
    registry.close();
  }
}
