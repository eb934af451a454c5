package dev.parapet.runtime.limits;

import dev.parapet.runtime.http.Exchange;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.http.Refusals;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.Optional;

/**
 * Right after the {@code IdleStateHandler}: closes a connection that sent nothing for {@code
 * PARAPET_IDLE_TIMEOUT_MS} — an idle keep-alive connection, or a body that stopped arriving. A
 * connection we are not reading (a request in flight, autoRead off) is waiting for us, not idle:
 * it is left alone, and the upstream's own timeout bounds that wait. One we stopped reading
 * because the caller does not read our answers is {@code flow.AnswerBacklog}'s to close, on the
 * caller's progress, not on the time since it last sent.
 *
 * <p>A body that stopped arriving belongs to a request whose head was read (it has a request id):
 * closing it ends that request here, as a 408 nobody is sent (what nginx logs for a client body
 * timeout, and how a head that timed out is logged), so that its row and access line do not take
 * our close for a caller who left (499).
 */
@Sharable
public final class IdleCloseHandler extends ChannelInboundHandlerAdapter {
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (ctx.channel().config().isAutoRead()) {
        if (Exchange.of(ctx.channel()).isPresent()) {
          Refusals.complete(ctx, ParapetError.REQUEST_TIMEOUT.status().code(), Optional.empty());
        }
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }
}
