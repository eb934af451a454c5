package dev.parapet.runtime.metrics;

import dev.parapet.core.store.TelemetryStore;
import dev.parapet.runtime.PolicyThreads;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;

/**
 * The process-level meters: JVM memory, GC, threads, class loading, CPU and uptime (Micrometer's
 * binders), Netty's default allocator ({@code netty_allocator_memory_used_bytes{type}}), and the
 * telemetry writer ({@code parapet_telemetry_queue_depth}, {@code parapet_telemetry_shed_total},
 * {@code parapet_telemetry_write_failures_total}), and the policy threads' line ({@code
 * parapet_policy_queue_depth}).
 * Every one is read at scrape time from a counter the JVM or the store already keeps.
 */
final class ProcessMeters implements AutoCloseable {
  private final JvmGcMetrics gc = new JvmGcMetrics();

  ProcessMeters(MeterRegistry registry, TelemetryStore store) {
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider) {
      ByteBufAllocatorMetric m = provider.metric();
      Gauge.builder("netty.allocator.memory.used", m, ByteBufAllocatorMetric::usedHeapMemory)
          .description("Memory held by Netty's default buffer allocator")
          .baseUnit("bytes").tag("type", "heap").register(registry);
      Gauge.builder("netty.allocator.memory.used", m, ByteBufAllocatorMetric::usedDirectMemory)
          .description("Memory held by Netty's default buffer allocator")
          .baseUnit("bytes").tag("type", "direct").register(registry);
    }
    Gauge.builder("parapet.telemetry.queue.depth", store, TelemetryStore::queueDepth)
        .description("Records and ledger items waiting for the telemetry writer")
        .register(registry);
    Gauge.builder("parapet.policy.queue.depth", PolicyThreads::waiting)
        .description("Large prompts and answers waiting for a policy thread")
        .register(registry);
    FunctionCounter.builder("parapet.telemetry.shed", store, TelemetryStore::shedCount)
        .description("Request and event rows dropped: the telemetry queue was full, or their write failed twice")
        .register(registry);
    // A failed write also refuses the budget holds in it (503) and delays settlements (retried):
    // without this counter a full or failing disk shows only as refusals.
    FunctionCounter.builder("parapet.telemetry.write.failures", store, TelemetryStore::writeFailures)
        .description("Telemetry store transactions that failed (disk full, I/O error): holds in them"
            + " refused, settlements retried, rows retried once then shed")
        .register(registry);
  }

  @Override
  public void close() {
    gc.close();
  }
}
