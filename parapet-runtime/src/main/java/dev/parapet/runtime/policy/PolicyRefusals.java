package dev.parapet.runtime.policy;

import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.http.ErrorResponses;
import dev.parapet.runtime.http.ParapetError;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpUtil;
import java.util.Optional;

/**
 * How a policy handler refuses a {@link GatewayRequest}: the SPEC §4 error body, then the one
 * {@link RequestCompleted} of the request, carrying the request itself (unlike the front's
 * refusals, a policy refusal knows the route and tenant, which telemetry counts as blocked).
 * Nothing has been sent upstream when this runs.
 */
public final class PolicyRefusals {
  private PolicyRefusals() {}

  public static void refuse(ChannelHandlerContext ctx, GatewayRequest request, ParapetError error, String message) {
    FullHttpResponse response = ErrorResponses.create(ctx.alloc(), error, message, request.requestId());
    HttpUtil.setKeepAlive(response, request.keepAlive());
    if (request.keepAlive()) {
      ctx.writeAndFlush(response);
    } else {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
    complete(ctx, request, error.status().code(), Optional.of(error));
  }

  /** Fires the request's completion without writing (the caller is gone, or an answer was sent). */
  public static void complete(
      ChannelHandlerContext ctx, GatewayRequest request, int status, Optional<ParapetError> error) {
    ctx.pipeline().fireUserEventTriggered(new RequestCompleted(request.requestId(), Optional.of(request), status,
        error, Optional.empty(), Optional.empty(), System.nanoTime() - request.startNanos()));
  }
}
