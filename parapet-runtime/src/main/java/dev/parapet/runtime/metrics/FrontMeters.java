package dev.parapet.runtime.metrics;

import dev.parapet.runtime.Gateway;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The front's limits, read at scrape time from counters the gateway keeps anyway: {@code
 * parapet_connections_open}, {@code parapet_connections_refused_total} (closed at once over
 * {@code PARAPET_MAX_CONNECTIONS}: otherwise only a log line every 10 s), {@code
 * parapet_requests_in_flight} (what a drain waits for), {@code parapet_body_budget_used_bytes} and
 * {@code parapet_body_budget_waiting} ({@code PARAPET_MAX_BUFFERED_BODY_BYTES}: bodies held, and
 * requests waiting unread for room).
 */
final class FrontMeters {
  private FrontMeters() {}

  static void register(MeterRegistry registry, Gateway gateway) {
    Gauge.builder("parapet.connections.open", gateway, Gateway::openConnections)
        .description("Caller connections open").strongReference(true).register(registry);
    FunctionCounter.builder("parapet.connections.refused", gateway, Gateway::refusedConnections)
        .description("Caller connections closed at once: PARAPET_MAX_CONNECTIONS were open")
        .register(registry);
    Gauge.builder("parapet.requests.in.flight", gateway, Gateway::inFlightRequests)
        .description("Requests read whole and not yet answered").strongReference(true).register(registry);
    Gauge.builder("parapet.body.budget.used", gateway, Gateway::bufferedBodyBytes)
        .description("Request body bytes held or reserved, gateway-wide").baseUnit("bytes")
        .strongReference(true).register(registry);
    Gauge.builder("parapet.body.budget.waiting", gateway, Gateway::requestsWaitingForBodyRoom)
        .description("Requests waiting, unread, for room in the body budget")
        .strongReference(true).register(registry);
  }
}
