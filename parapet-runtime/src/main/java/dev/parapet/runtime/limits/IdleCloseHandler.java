package dev.parapet.runtime.limits;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * Right after the {@code IdleStateHandler}: closes a connection that sent nothing for {@code
 * PARAPET_IDLE_TIMEOUT_MS} — an idle keep-alive connection, or a body that stopped arriving. A
 * connection we are not reading (a request in flight, autoRead off) is waiting for us, not idle:
 * it is left alone, and the upstream's own timeout bounds that wait.
 */
@Sharable
public final class IdleCloseHandler extends ChannelInboundHandlerAdapter {
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (ctx.channel().config().isAutoRead()) {
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }
}
