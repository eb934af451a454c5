package dev.parapet.runtime.limits;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First in every connection's pipeline: caps open connections at {@code PARAPET_MAX_CONNECTIONS}.
 * A connection over the cap is closed before a byte is read, so a flood of idle sockets cannot
 * exhaust file descriptors or memory. Shared by all connections of one gateway.
 */
@Sharable
public final class ConnectionLimitHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger("parapet.limits");
  private static final AttributeKey<Boolean> COUNTED = AttributeKey.valueOf("parapet.counted");

  private final int max;
  private final AtomicInteger open = new AtomicInteger();

  public ConnectionLimitHandler(int max) {
    this.max = max;
  }

  public int open() {
    return open.get();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (open.incrementAndGet() > max) {
      open.decrementAndGet();
      LOG.warn("connection refused: {} connections open (PARAPET_MAX_CONNECTIONS)", max);
      ctx.close();
      return;
    }
    ctx.channel().attr(COUNTED).set(Boolean.TRUE);
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (ctx.channel().attr(COUNTED).getAndSet(null) != null) {
      open.decrementAndGet();
    }
    ctx.fireChannelInactive();
  }
}
