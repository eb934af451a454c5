package dev.parapet.runtime;

import dev.parapet.runtime.http.Exchange;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.http.ErrorResponses;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import java.util.Optional;

/** Placeholder terminal until the upstream stage is wired in: 503 for every gateway call. */
@Sharable
final class UnwiredUpstream extends ChannelInboundHandlerAdapter {
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof GatewayRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    FullHttpResponse response = ErrorResponses.create(ctx.alloc(), ParapetError.SERVICE_UNAVAILABLE,
        "no upstream stage in this build", request.requestId());
    HttpUtil.setKeepAlive(response, request.keepAlive());
    ctx.writeAndFlush(response);
    long latency = Exchange.of(ctx.channel()).map(Exchange::elapsedNanos).orElse(0L);
    ctx.pipeline().fireUserEventTriggered(new RequestCompleted(request.requestId(), Optional.of(request),
        503, Optional.of(ParapetError.SERVICE_UNAVAILABLE), Optional.empty(), Optional.empty(), latency));
  }
}
