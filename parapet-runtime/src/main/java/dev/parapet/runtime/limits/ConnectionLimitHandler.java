package dev.parapet.runtime.limits;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
  private static final long WARN_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final int max;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong lastWarnNanos = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);

  public ConnectionLimitHandler(int max) {
    this.max = max;
  }

  public int open() {
    return open.get();
  }

  /** Connections closed at once for being over the cap, since start. */
  public long refused() {
    return refused.get();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (open.incrementAndGet() > max) {
      open.decrementAndGet();
      long n = refused.incrementAndGet();
      long last = lastWarnNanos.get();
      long now = System.nanoTime();
      // At most one line per 10 s: a connection flood must not become a log flood.
      if (now - last >= WARN_EVERY_NANOS && lastWarnNanos.compareAndSet(last, now)) {
        LOG.warn("refusing connections: {} open (PARAPET_MAX_CONNECTIONS); {} refused so far", max, n);
      }
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
