package dev.parapet.runtime.telemetry;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.store.TelemetryStore;
import dev.parapet.runtime.Charges;
import dev.parapet.runtime.Stages;
import dev.parapet.runtime.admin.SurfacesHandler;
import dev.parapet.runtime.boot.BootException;
import dev.parapet.runtime.boot.IntegerKnob;
import dev.parapet.runtime.boot.OpenedConfig;
import dev.parapet.runtime.metrics.Metrics;
import dev.parapet.runtime.upstream.PoolStats;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Everything telemetry adds to the gateway, built at boot once the store is open: the two
 * recorders (a row per request, the Prometheus meters), the read-only surfaces with their small
 * bounded executor (Argon2id and store reads: half the cores, at most two threads, {@value
 * #SURFACE_QUEUE} waiting, beyond that 503), and the daily tasks (retention, budget gauges).
 * Closed after the drain, before the store.
 *
 * <p>{@value #RETENTION_DAYS}: days of per-request rows to keep before they are rolled up into
 * daily aggregates; an integer 1 to 36500 ({@link IntegerKnob}), default {@value TelemetryStore#DEFAULT_RETENTION_DAYS};
 * anything else refuses to boot.
 */
public final class TelemetryStage implements AutoCloseable {
  public static final String RETENTION_DAYS = "PARAPET_RETENTION_DAYS";
  /** Half the cores, at most two: Argon2id floods can never take the event loops' CPU. */
  static final int SURFACE_THREADS =
      Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors() / 2));
  static final int SURFACE_QUEUE = 32;

  private final RequestRecorder requests;
  private final Metrics metrics;
  private final SurfacesHandler surfaces;
  private final ThreadPoolExecutor surfaceExecutor;
  private final DailyTasks tasks;

  private TelemetryStage(OpenedConfig opened, TelemetryStore store, Charges charges, int keepDays) {
    ParapetSpec spec = opened.config().spec();
    RouteCosts costs = new RouteCosts(spec);
    DailyCaps caps = new DailyCaps(spec);
    this.requests = new RequestRecorder(store, costs, charges);
    this.metrics = new Metrics(spec, costs, caps, store, charges);
    this.surfaceExecutor = new ThreadPoolExecutor(SURFACE_THREADS, SURFACE_THREADS, 0, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(SURFACE_QUEUE), new DefaultThreadFactory("parapet-surfaces", true),
        new ThreadPoolExecutor.AbortPolicy());
    this.surfaces = SurfacesHandler.create(spec, opened.config().passwordHashes(), store, caps,
        metrics::scrape, Metrics.CONTENT_TYPE, surfaceExecutor, metrics.registry());
    this.tasks = new DailyTasks(store, metrics.budgets(), keepDays);
  }

  /**
   * Builds the stage over an open store, its rows and meters on what the budget charged each call
   * ({@code charges}); a bad {@value #RETENTION_DAYS} refuses to boot.
   */
  public static TelemetryStage start(Map<String, String> env, OpenedConfig opened, TelemetryStore store,
      Charges charges) throws BootException {
    return new TelemetryStage(opened, store, charges, retentionDays(env));
  }

  /** Checks the stage's knobs without starting anything: call before opening the store. */
  public static void checkEnv(Map<String, String> env) throws BootException {
    retentionDays(env);
  }

  /** Adds the provider connection pools' meters to the scrape. */
  public TelemetryStage watch(PoolStats pools) {
    metrics.watch(pools);
    return this;
  }

  /** {@code stages} with the recorders and the read-only surfaces attached, and this to close. */
  public Stages attachTo(Stages stages) {
    return stages.withTelemetry(List.of(() -> requests, metrics::recorder), () -> surfaces, this, metrics::watch);
  }

  static int retentionDays(Map<String, String> env) throws BootException {
    return (int) IntegerKnob.read(env, RETENTION_DAYS, TelemetryStore.DEFAULT_RETENTION_DAYS, 1, 36_500);
  }

  /** Applies retention now (tests and operators' tooling); the rows deleted, -1 on failure. */
  int applyRetentionNow() {
    return tasks.retention();
  }

  @Override
  public void close() {
    tasks.close();
    surfaceExecutor.shutdownNow();
    try {
      surfaceExecutor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    metrics.close();
  }
}
