package dev.parapet.runtime.failure;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The very last handler: whatever no one else handled ends here instead of at Netty's tail, which
 * would log a full stack trace whose messages may quote a caller's bytes. A connection with an
 * unhandled failure is closed — its request may never complete otherwise, and a connection that
 * is not being read would wait forever. Peer resets are routine and logged at debug only; other
 * failures at warn, by type alone (the stack at debug). A caller that hangs up in the middle of
 * its request body is routine too: the aggregator reports it as a {@link
 * PrematureChannelClosureException} as the channel goes inactive. Stray messages are released.
 */
@Sharable
public final class UnhandledFailureHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger("parapet.failure");

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof IOException || cause instanceof PrematureChannelClosureException) {
      LOG.debug("connection failed: {}", cause.getClass().getSimpleName());
    } else {
      LOG.warn("unhandled {} on a caller connection; closing it", cause.getClass().getName());
      LOG.debug("unhandled failure", cause);
    }
    ctx.close();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    LOG.debug("unhandled message {}", msg.getClass().getSimpleName());
    ReferenceCountUtil.release(msg);
  }
}
