package dev.parapet.runtime.accesslog;

import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.endpoint.Endpoint;
import dev.parapet.runtime.http.Exchange;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.http1.HeadTimedOut;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpMethod;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request on the {@code parapet.access} logger, written when its {@link
 * RequestCompleted} passes (right after the request-id handler, so refusals of the codec stage are
 * logged too): method, path template (never the raw path, which a caller controls), status,
 * refusal code, route, service, latency and request id. Never a header, a body or a token. A head
 * that timed out ({@link HeadTimedOut}) has no completion and gets its line here too.
 */
@Sharable
public final class AccessLogHandler extends ChannelInboundHandlerAdapter {
  private static final Logger ACCESS = LoggerFactory.getLogger("parapet.access");

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof RequestCompleted completed && ACCESS.isInfoEnabled()) {
      log(completed, Exchange.of(ctx.channel()));
    } else if (evt instanceof HeadTimedOut timedOut && ACCESS.isInfoEnabled()) {
      log(timedOut);
    }
    ctx.fireUserEventTriggered(evt);
  }

  private static void log(RequestCompleted c, Optional<Exchange> exchange) {
    Optional<GatewayRequest> request = c.request();
    String method = exchange.map(e -> e.method().name()).orElse("-");
    String path = exchange.map(e -> Endpoint.classify(e.path()).template()).orElse("-");
    String route = request.map(r -> r.route().name()).orElse("-");
    String service =
        request.map(r -> r.service().label())
            .or(() -> exchange.flatMap(Exchange::service).map(s -> s.label()))
            .orElse("-");
    String code = c.error().map(ParapetError::code).orElse("-");
    write(method, path, c.status(), code, route, service, c.latencyNanos(), c.requestId());
  }

  /**
   * A head that did not arrive whole in time: closed unanswered, logged as the 408 nginx logs,
   * with the method and path template if its request line was read; no request id was sent.
   */
  private static void log(HeadTimedOut t) {
    write(t.method().map(HttpMethod::name).orElse("-"),
        t.path().map(p -> Endpoint.classify(p).template()).orElse("-"),
        HeadTimedOut.STATUS, "-", "-", "-", t.latencyNanos(), "-");
  }

  private static void write(String method, String path, int status, String code, String route,
      String service, long latencyNanos, String requestId) {
    String latencyMs = millisOneDecimal(latencyNanos);
    ACCESS.atInfo()
        .addKeyValue("method", method)
        .addKeyValue("path", path)
        .addKeyValue("status", status)
        .addKeyValue("code", code)
        .addKeyValue("route", route)
        .addKeyValue("service", service)
        .addKeyValue("latency_ms", latencyMs)
        .addKeyValue("request_id", requestId)
        // Built here rather than from "{}" placeholders: slf4j's formatter makes a HashMap per
        // argument, and the async appender formats on this thread, the event loop.
        .log(new StringBuilder(128).append(method).append(' ').append(path).append(' ').append(status)
            .append(" code=").append(code).append(" route=").append(route).append(" service=").append(service)
            .append(" latency_ms=").append(latencyMs).append(" request_id=").append(requestId).toString());
  }

  /**
   * {@code nanos} in milliseconds with one decimal, rounded half up: what {@code
   * String.format("%.1f", nanos / 1e6)} printed, without a {@link java.util.Formatter} per request
   * (2 % of the CPU of a busy gateway).
   */
  static String millisOneDecimal(long nanos) {
    long tenths = (Math.max(0, nanos) + 50_000) / 100_000;
    return (tenths / 10) + "." + (tenths % 10);
  }
}
