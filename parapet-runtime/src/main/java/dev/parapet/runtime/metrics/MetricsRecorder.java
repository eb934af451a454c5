package dev.parapet.runtime.metrics;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.runtime.Charges;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.endpoint.Endpoint;
import dev.parapet.runtime.http.Exchange;
import dev.parapet.runtime.http1.HeadTimedOut;
import dev.parapet.runtime.telemetry.RouteCosts;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts every request into the Prometheus meters when its {@link RequestCompleted} passes (a
 * recorder: right after the access log, it only watches), and a request head that timed out
 * ({@link HeadTimedOut}: closed unanswered, no completion) as a 408. Health checks and the
 * read-only surfaces' answers (scrapes) are not counted; the surfaces' refusals and unknown paths
 * are. Meter updates are
 * lock-free increments, safe on the event loop. A forwarded call's tokens and cost are counted once
 * the budget has charged it ({@link Charges}), on what it charged.
 */
@Sharable
public final class MetricsRecorder extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger("parapet.metrics");
  private final RequestMeters meters;
  private final RouteCosts costs;
  private final Charges charges;

  public MetricsRecorder(MeterRegistry registry, ParapetSpec spec, RouteCosts costs, Charges charges) {
    this.meters = new RequestMeters(registry, spec);
    this.costs = costs;
    this.charges = charges;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof HeadTimedOut) {
      meters.recordHeadTimeout();
    }
    if (evt instanceof RequestCompleted c && counted(ctx, c)) {
      try {
        meters.record(c);
        c.request().ifPresent(r -> charges.whenCharged(c, costs::nanoUsd, charge -> {
          try {
            meters.recordCharge(r, charge);
          } catch (RuntimeException e) {
            LOG.warn("usage metrics not recorded ({})", e.getClass().getSimpleName());
          }
        }));
      } catch (RuntimeException e) {
        LOG.warn("metrics not recorded ({})", e.getClass().getSimpleName());
      }
    }
    ctx.fireUserEventTriggered(evt);
  }

  /**
   * Not a health check, not a read-only surface's answer (probes and scrapes every few seconds would
   * drown the callers' requests); but their refusals are: a surface's (401 for a wrong login, 429
   * once its address is locked out, 403, …), uncounted, would hide password guessing from the
   * scrape, and a 405 at {@code /_parapet/health} is no health check (a probe set up with another
   * method than GET fails every time, and shows here).
   */
  private static boolean counted(ChannelHandlerContext ctx, RequestCompleted c) {
    if (c.request().isPresent()) {
      return true;
    }
    Endpoint endpoint = Exchange.of(ctx.channel()).map(e -> Endpoint.classify(e.path())).orElse(Endpoint.UNKNOWN);
    if (endpoint.readOnlySurface() || endpoint == Endpoint.HEALTH) {
      return c.error().isPresent();
    }
    return true;
  }
}
