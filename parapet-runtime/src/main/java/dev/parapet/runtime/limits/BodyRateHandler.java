package dev.parapet.runtime.limits;

import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.http.Refusals;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * After the head checks, before the body is aggregated: closes a request whose body arrives
 * slower than {@code PARAPET_MIN_BODY_RATE} bytes per second on average (slow-POST). The head has
 * its own absolute deadline in the codec and an idle connection its own timeout, but a client that
 * trickles one byte every few seconds is neither idle nor late with its head, and would hold a
 * connection and a partly aggregated body for as long as it liked.
 *
 * <p>The average runs from the end of the head; the first {@link #GRACE_NANOS} are free, so a
 * slow start (TLS offload, a busy client) is not punished. Time during which we are not reading
 * (autoRead off: we pushed back) does not count against the caller. One instance per connection.
 */
public final class BodyRateHandler extends ChannelInboundHandlerAdapter {
  static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);
  private static final long CHECK_EVERY_MS = 1_000;

  private final long minBytesPerSecond;
  private final long graceNanos;
  private ScheduledFuture<?> check;
  private long startNanos;
  private long notReadingNanos;
  private long bytes;

  public BodyRateHandler(long minBytesPerSecond) {
    this(minBytesPerSecond, GRACE_NANOS);
  }

  BodyRateHandler(long minBytesPerSecond, long graceNanos) {
    this.minBytesPerSecond = minBytesPerSecond;
    this.graceNanos = graceNanos;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request && !(msg instanceof LastHttpContent)) {
      boolean hasBody =
          HttpUtil.getContentLength(request, 0L) > 0 || HttpUtil.isTransferEncodingChunked(request);
      if (hasBody && minBytesPerSecond > 0) {
        start(ctx);
      }
    }
    if (msg instanceof HttpContent content && check != null) {
      bytes += content.content().readableBytes();
      if (msg instanceof LastHttpContent) {
        stop();
      }
    }
    ctx.fireChannelRead(msg);
  }

  private void start(ChannelHandlerContext ctx) {
    stop();
    startNanos = System.nanoTime();
    notReadingNanos = 0;
    bytes = 0;
    check = ctx.executor().scheduleAtFixedRate(
        () -> check(ctx), CHECK_EVERY_MS, CHECK_EVERY_MS, TimeUnit.MILLISECONDS);
  }

  private void check(ChannelHandlerContext ctx) {
    if (check == null) {
      return;
    }
    if (!ctx.channel().config().isAutoRead()) {
      notReadingNanos += TimeUnit.MILLISECONDS.toNanos(CHECK_EVERY_MS);
      return;
    }
    long elapsed = System.nanoTime() - startNanos - notReadingNanos;
    if (elapsed < graceNanos) {
      return;
    }
    // bytes / seconds < min, without division: bytes * 1e9 < min * nanos (both fit in a long
    // for any body under the size limit and any rate the knob allows, over hours).
    if (bytes * 1_000_000_000L < minBytesPerSecond * elapsed) {
      stop();
      Refusals.refuseAndClose(ctx, ParapetError.REQUEST_TIMEOUT,
          "the request body arrived slower than " + minBytesPerSecond + " bytes per second");
    }
  }

  private void stop() {
    if (check != null) {
      check.cancel(false);
      check = null;
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    stop();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    stop();
  }
}
