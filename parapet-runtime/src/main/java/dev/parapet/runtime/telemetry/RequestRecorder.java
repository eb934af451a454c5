package dev.parapet.runtime.telemetry;

import dev.parapet.core.config.Service;
import dev.parapet.core.store.EventKind;
import dev.parapet.core.store.EventRecord;
import dev.parapet.core.store.RequestRecord;
import dev.parapet.core.store.TelemetryStore;
import dev.parapet.runtime.Charge;
import dev.parapet.runtime.Charges;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.endpoint.Endpoint;
import dev.parapet.runtime.http.Exchange;
import dev.parapet.runtime.http.ParapetError;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one telemetry row per gateway request when its {@link RequestCompleted} passes (a
 * recorder: right after the access log, it only watches): who called which route, the model
 * asked (the route's pinned model) and the model reported, tokens, cost, latency, status and
 * refusal code. A forwarded call's tokens and cost are what the budget charged it ({@link Charges}):
 * the provider's usage when it reported one, else the tokens counted (note {@code usage:counted})
 * or, for a timeout, the hold's worst case (note {@code usage:worst_case}); such a row is written
 * once the settlement is known, so a day's rows add up to the day's settled spend. Refusals before identity are recorded with tenant and service {@code -}, and a
 * route the caller was refused with {@code -} too (the caller chose that name: no enumeration, no
 * caller bytes in the store). It also records the enforcement events that are not a policy's:
 * {@code denied} for 401/403 and {@code upstream_error} for 502/504 failures (with the failure's
 * fixed {@code reason} word, when the provider call failed); the policy handlers record their own.
 *
 * <p>Only gateway endpoints are recorded: health checks and scrapes of the read-only surfaces are
 * not calls. {@link TelemetryStore#offerRequest} only enqueues; when the queue is full the row is
 * shed and counted by the store, never blocking the event loop. Never a prompt, an answer, a
 * header, a token or a key: the record has no field that could hold one.
 */
@Sharable
public final class RequestRecorder extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger("parapet.telemetry");
  static final String NONE = "-";

  private final TelemetryStore store;
  private final RouteCosts costs;
  private final Charges charges;

  public RequestRecorder(TelemetryStore store, RouteCosts costs, Charges charges) {
    this.store = store;
    this.costs = costs;
    this.charges = charges;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof RequestCompleted completed) {
      try {
        record(completed, Exchange.of(ctx.channel()));
      } catch (RuntimeException e) {
        // A row that fails its own validation is a bug here; never fail the caller's request.
        LOG.warn("telemetry row not recorded ({})", e.getClass().getSimpleName());
      }
    }
    ctx.fireUserEventTriggered(evt);
  }

  private void record(RequestCompleted c, Optional<Exchange> exchange) {
    boolean gateway =
        c.request().isPresent()
            || exchange.map(e -> Endpoint.classify(e.path()).gateway()).orElse(false);
    if (!gateway || NONE.equals(c.requestId())) {
      return;
    }
    Instant now = Instant.now();
    Optional<Service> service = caller(c, exchange); // read now: the exchange moves on
    charges.whenCharged(c, costs::nanoUsd, charge -> {
      try {
        store.offerRequest(requestRow(now, c, service, charge));
      } catch (RuntimeException e) {
        LOG.warn("telemetry row not recorded ({})", e.getClass().getSimpleName());
      }
    });
    eventKind(c).ifPresent(kind -> store.offerEvent(event(now, kind, c, exchange)));
  }

  static RequestRecord requestRow(Instant now, RequestCompleted c, Optional<Service> service, Charge charge) {
    Optional<GatewayRequest> request = c.request();
    return new RequestRecord(
        now,
        c.requestId(),
        service.map(Service::tenant).orElse(NONE),
        service.map(Service::label).orElse(NONE),
        request.map(r -> r.route().name()).orElse(NONE),
        request.map(r -> r.route().provider().type().yamlName()).orElse(NONE),
        request.map(r -> r.route().provider().model()).orElse(NONE),
        c.reportedModel().filter(RequestRecorder::storable),
        charge.promptTokens(),
        charge.completionTokens(),
        charge.nanoUsd(),
        Math.max(0, c.latencyNanos() / 1_000),
        c.status(),
        c.error().map(ParapetError::code),
        notes(request, charge),
        // A call held before midnight and ended after it was charged to its hold's day: so is its row.
        charge.day().orElseGet(() -> RequestRecord.utcDay(now)));
  }

  /** What the policies noted on the call, then how its charge was made, if not from reported usage. */
  private static List<String> notes(Optional<GatewayRequest> request, Charge charge) {
    List<String> notes = request.map(GatewayRequest::notes).orElse(List.of());
    String basis = charge.basis().note();
    if (basis == null) {
      return notes;
    }
    List<String> all = new ArrayList<>(notes);
    all.add(basis);
    return all;
  }

  /** A provider-reported model id fits a name field (the provider's bytes: bounded, no controls). */
  private static boolean storable(String model) {
    if (model.isBlank() || model.length() > 128) {
      return false;
    }
    for (int i = 0; i < model.length(); i++) {
      if (Character.isISOControl(model.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** The caller as far as it was established: the request's service, else the authenticated one. */
  private static Optional<Service> caller(RequestCompleted c, Optional<Exchange> exchange) {
    return c.request().map(GatewayRequest::service).or(() -> exchange.flatMap(Exchange::service));
  }

  /** The events this recorder owns: denied (401/403) and upstream_error (502/504 failures). */
  static Optional<EventKind> eventKind(RequestCompleted c) {
    Optional<ParapetError> error = c.error();
    if (error.isEmpty()) {
      return Optional.empty();
    }
    return switch (error.get()) {
      case INVALID_TOKEN, ROUTE_FORBIDDEN, MODEL_NOT_ALLOWED -> Optional.of(EventKind.DENIED);
      case UPSTREAM_ERROR, UPSTREAM_TIMEOUT -> Optional.of(EventKind.UPSTREAM_ERROR);
      default -> Optional.empty();
    };
  }

  private static EventRecord event(
      Instant now, EventKind kind, RequestCompleted c, Optional<Exchange> exchange) {
    Optional<Service> service = caller(c, exchange);
    Map<String, String> details = new HashMap<>();
    details.put("status", Integer.toString(c.status()));
    details.put("code", c.error().map(ParapetError::code).orElse("unknown"));
    if (kind == EventKind.UPSTREAM_ERROR) {
      // The log line's fixed word (and number), never an exception's or the provider's text.
      c.upstreamReason().ifPresent(r -> {
        details.put("reason", r.word());
        r.status().ifPresent(s -> details.put("reason_status", Integer.toString(s)));
      });
    }
    return new EventRecord(
        now,
        c.requestId(),
        kind,
        service.map(Service::tenant).orElse(NONE),
        service.map(Service::label),
        c.request().map(r -> r.route().name()),
        details);
  }
}
