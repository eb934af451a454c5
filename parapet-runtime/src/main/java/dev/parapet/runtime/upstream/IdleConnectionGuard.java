package dev.parapet.runtime.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * Sits on every upstream connection after the HTTP client codec, before the exchange of the
 * moment. While the connection rests in the pool it closes it when it has been idle too long
 * (kept below providers' own idle timeouts so we never write into a connection the provider is
 * closing, RFC 9112 §9.3.1) and when the provider sends anything unasked (an HTTP/1.1 server may
 * only answer requests: stray bytes mean the connection is out of step). While leased it passes
 * everything on to the exchange.
 */
final class IdleConnectionGuard extends ChannelInboundHandlerAdapter {
  static final String NAME = "idle-guard";
  private boolean leased;

  void leased(boolean leased) {
    this.leased = leased;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (leased) {
      ctx.fireChannelRead(msg);
      return;
    }
    ReferenceCountUtil.release(msg);
    ctx.close();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (!leased) {
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (leased) {
      ctx.fireExceptionCaught(cause);
    } else {
      ctx.close();
    }
  }
}
