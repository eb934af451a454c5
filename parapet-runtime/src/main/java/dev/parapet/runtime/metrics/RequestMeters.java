package dev.parapet.runtime.metrics;

import dev.parapet.core.budget.Cost;
import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Tenant;
import dev.parapet.runtime.Charge;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.http1.HeadTimedOut;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The per-request meters, each with a bounded label set: route and tenant names come from the
 * config, status is the three-digit code, codes are {@link ParapetError}'s; anything else is
 * {@code other} (a caller can never mint a new series).
 *
 * <ul>
 *   <li>{@code parapet_requests_total{route,status}} — every request but health checks and
 *       the read-only surfaces' answers ({@code route="-"} when refused before a route was
 *       established: unknown paths' 404s, the surfaces' refusals too), and {@code status="408"}
 *       for a head that timed out, closed unanswered;
 *   <li>{@code parapet_refusals_total{code}} — answers with a Parapet error code;
 *   <li>{@code parapet_stream_truncations_total{route}} — streams a guard cut short;
 *   <li>{@code parapet_provider_key_masked_total{route}} — calls whose provider quoted the route's
 *       key in a 2xx answer, masked before the caller saw it (alert on any);
 *   <li>{@code parapet_upstream_latency_seconds} — histogram, calls that went to a provider (not
 *       echo) and were answered to the end (not a caller who left), from the request head to the
 *       last byte;
 *   <li>{@code parapet_tokens_total{route,tenant,direction}}, {@code
 *       parapet_cost_usd_total{route,tenant}} — what the budget charged each call and on which
 *       tokens: the provider's usage, else the tokens counted (a timeout: its worst-case cost).
 * </ul>
 */
final class RequestMeters {
  static final String OTHER = "other";
  static final String NONE = "-";
  private static final Duration[] LATENCY_BUCKETS = {
    Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
    Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
    Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120)
  };

  private static final String KEY_MASKED = "parapet.provider.key.masked";
  private static final String KEY_MASKED_HELP = "Calls whose provider quoted the route's key in a 2xx answer (masked)";

  private final MeterRegistry registry;
  private final Set<String> routes;
  private final Set<String> tenants;
  private final Timer upstreamLatency;
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Series> series = new ConcurrentHashMap<>();
  private final AtomicReferenceArray<Counter> refusals = new AtomicReferenceArray<>(ParapetError.values().length);

  RequestMeters(MeterRegistry registry, ParapetSpec spec) {
    this.registry = registry;
    this.routes = spec.routes().stream().map(Route::name).collect(Collectors.toUnmodifiableSet());
    this.tenants = spec.tenants().stream().map(Tenant::name).collect(Collectors.toUnmodifiableSet());
    this.upstreamLatency =
        Timer.builder("parapet.upstream.latency")
            .description("Provider calls, from the request head to the last byte written")
            .serviceLevelObjectives(LATENCY_BUCKETS)
            .register(registry);
    // Zero-valued series for every configured route, so dashboards see them before traffic.
    for (String route : routes) {
      counter("parapet.stream.truncations", "Streams a guard cut short", "route", route);
      counter(KEY_MASKED, KEY_MASKED_HELP, "route", route);
    }
  }

  void record(RequestCompleted c) {
    String route = c.request().map(r -> bounded(routes, r.route().name())).orElse(NONE);
    Series series = series(route);
    series.requests(c.status()).increment();
    c.error().ifPresent(e -> {
      if (e == ParapetError.STREAM_TRUNCATED) {
        series.truncations().increment();
      } else {
        refusals(e).increment();
      }
    });
    c.request().ifPresent(r -> recordCall(c, r, series));
  }

  /** A request head that did not arrive whole in time: its connection closed, nobody answered. */
  void recordHeadTimeout() {
    series(NONE).requests(HeadTimedOut.STATUS).increment();
  }

  private void recordCall(RequestCompleted c, GatewayRequest r, Series series) {
    if (r.route().provider().type() != ProviderType.ECHO && reachedUpstream(c)) {
      upstreamLatency.record(c.latencyNanos(), TimeUnit.NANOSECONDS);
    }
    if (r.noted(GatewayRequest.PROVIDER_KEY_MASKED)) {
      counter(KEY_MASKED, KEY_MASKED_HELP, "route", series.route).increment();
    }
  }

  /** A call's tokens and cost, as charged (possibly after its completion: see {@code Charges}). */
  void recordCharge(GatewayRequest r, Charge charge) {
    if (charge.basis() == Charge.Basis.NONE) {
      return;
    }
    Counter[] usage = series(bounded(routes, r.route().name())).usage(bounded(tenants, r.route().tenant()));
    usage[0].increment(charge.promptTokens());
    usage[1].increment(charge.completionTokens());
    usage[2].increment(Cost.toUsd(charge.nanoUsd()).doubleValue());
  }

  private Series series(String route) {
    Series s = series.get(route);
    return s != null ? s : series.computeIfAbsent(route, Series::new);
  }

  private Counter refusals(ParapetError e) {
    Counter c = refusals.get(e.ordinal());
    if (c == null) {
      c = counter("parapet.refusals", "Answers with a Parapet error code", "code", e.code());
      refusals.set(e.ordinal(), c);
    }
    return c;
  }

  /**
   * One route's counters, found once per request by the route's name instead of building a
   * key string per counter (each still registered through {@link #counter}, so the series are
   * exactly those of before).
   */
  private final class Series {
    private final String route;
    /** By status, 100..599 at {@code status - 100}, {@link #OTHER} last. */
    private final AtomicReferenceArray<Counter> byStatus = new AtomicReferenceArray<>(501);
    private final ConcurrentHashMap<String, Counter[]> usageByTenant = new ConcurrentHashMap<>();
    private volatile Counter truncations;

    Series(String route) {
      this.route = route;
    }

    Counter requests(int status) {
      int i = status >= 100 && status <= 599 ? status - 100 : 500;
      Counter c = byStatus.get(i);
      if (c == null) {
        c = counter("parapet.requests", "Gateway requests by route and status", "route", route, "status", status(status));
        byStatus.set(i, c);
      }
      return c;
    }

    Counter truncations() {
      Counter c = truncations;
      if (c == null) {
        c = counter("parapet.stream.truncations", "Streams a guard cut short", "route", route);
        truncations = c;
      }
      return c;
    }

    /** Tokens in, tokens out, cost. */
    Counter[] usage(String tenant) {
      Counter[] c = usageByTenant.get(tenant);
      return c != null ? c : usageByTenant.computeIfAbsent(tenant, t -> new Counter[] {
          counter("parapet.tokens", "Tokens each call was charged on", "route", route, "tenant", t, "direction", "in"),
          counter("parapet.tokens", "Tokens each call was charged on", "route", route, "tenant", t, "direction", "out"),
          counter("parapet.cost.usd", "USD each call was charged at the route's price", "route", route, "tenant", t)});
    }
  }

  /**
   * Answered by a provider, or failed talking to one; not refused by policy before the call, and
   * not a caller who left (499): it may have left before its call went out (its hold still being
   * written, its prompt in the policy line), and either way its latency is when it gave up; nor a
   * call the shutdown grace period cut (its latency is the grace's end).
   */
  private static boolean reachedUpstream(RequestCompleted c) {
    return !c.connectionGone() && c.error()
        .map(e -> e == ParapetError.UPSTREAM_ERROR || e == ParapetError.UPSTREAM_TIMEOUT
            || e == ParapetError.MODEL_DRIFT || e == ParapetError.STREAM_TRUNCATED)
        .orElse(true);
  }

  private static String status(int status) {
    return status >= 100 && status <= 599 ? Integer.toString(status) : OTHER;
  }

  private static String bounded(Set<String> known, String value) {
    return known.contains(value) ? value : OTHER;
  }

  private Counter counter(String name, String description, String... tags) {
    String key = name + '|' + String.join("|", tags);
    return counters.computeIfAbsent(key, (Function<String, Counter>) k ->
        Counter.builder(name).description(description).tags(tags).register(registry));
  }
}
