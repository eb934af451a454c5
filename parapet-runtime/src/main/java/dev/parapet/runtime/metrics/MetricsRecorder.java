package dev.parapet.runtime.metrics;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.endpoint.Endpoint;
import dev.parapet.runtime.http.Exchange;
import dev.parapet.runtime.telemetry.RouteCosts;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts every gateway request into the Prometheus meters when its {@link RequestCompleted}
 * passes (a recorder: right after the access log, it only watches). Health checks and scrapes are
 * not counted. Meter updates are lock-free increments, safe on the event loop.
 */
@Sharable
public final class MetricsRecorder extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger("parapet.metrics");
  private final RequestMeters meters;

  public MetricsRecorder(MeterRegistry registry, ParapetSpec spec, RouteCosts costs) {
    this.meters = new RequestMeters(registry, spec, costs);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof RequestCompleted c && gateway(ctx, c)) {
      try {
        meters.record(c);
      } catch (RuntimeException e) {
        LOG.warn("metrics not recorded ({})", e.getClass().getSimpleName());
      }
    }
    ctx.fireUserEventTriggered(evt);
  }

  private static boolean gateway(ChannelHandlerContext ctx, RequestCompleted c) {
    return c.request().isPresent()
        || Exchange.of(ctx.channel()).map(e -> Endpoint.classify(e.path()).gateway()).orElse(false);
  }
}
