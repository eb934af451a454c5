package dev.parapet.runtime.limits;

import dev.parapet.runtime.RequestCompleted;
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
 * After the head checks, before the body is aggregated: refuses with 408 {@code request_timeout}
 * and closes a request whose body arrives too slowly, by either of two bounds. The head has its
 * own absolute deadline in the codec and an idle connection its own timeout, but a client that
 * trickles one byte every few seconds is neither idle nor late with its head.
 *
 * <ul>
 *   <li>The rate: slower than {@code PARAPET_MIN_BODY_RATE} bytes per second on average
 *       (slow-POST). The first 5 s are free ({@code Settings.bodyRateGraceMs}), so a slow start
 *       (TLS offload, a busy client) is not punished.
 *   <li>The deadline: not whole within {@code PARAPET_BODY_TIMEOUT_MS} of its head. The rate
 *       alone lets a body take as long as its size allows (4 MiB at 1 KiB/s: 68 minutes), and all
 *       that time it holds its reservation in the body budget ({@link BodyBudgetHandler}), so a
 *       few dozen such callers could keep everyone else's bodies waiting for an hour. Closing the
 *       connection gives the reservation back.
 * </ul>
 *
 * <p>Both run from the end of the head. Time during which we are not reading (autoRead off: the
 * request waits for room in the body budget, or we pushed back) counts against neither: it is the
 * gateway's wait, not the caller's; it is sampled once a second.
 *
 * <p>A request answered from its head (401, 404...) keeps its connection while the rest of its body
 * is read and dropped ({@code EarlyAnswerDrain}), and both bounds still apply to that body; but it
 * has had its answer, so a late one closes the connection without a second. One instance per
 * connection.
 *
 * <p>The 408 closes lingering ({@code http1.LingeringClose}), like every answer that ends a
 * connection mid-body: a caller whose body is slow or late still reads why. That gives a slow
 * caller at most 10 s more on the connection, during which nothing it sends is parsed, its body
 * budget reservation is already back (the 408 completed the request), and the connection still
 * counts against {@code PARAPET_MAX_CONNECTIONS}: less than the idle timeout any silent connection
 * already has, so it is no lever for slow-POST. A late body after a kept-alive answer closes at
 * once: its answer left long before.
 */
public final class BodyRateHandler extends ChannelInboundHandlerAdapter {
  private static final long CHECK_EVERY_MS = 1_000;

  private final long minBytesPerSecond;
  private final long bodyTimeoutMs;
  private final long graceNanos;
  private ScheduledFuture<?> check;
  private ScheduledFuture<?> deadline;
  private long startNanos;
  private long notReadingNanos;
  private long bytes;
  /** The request whose body is arriving was answered already, from its head. */
  private boolean answered;

  /**
   * @param minBytesPerSecond the slowest average rate once the grace is over; 0 turns it off
   * @param bodyTimeoutMs the longest a body may take from its head to its last byte
   * @param graceMs how long a body may arrive at any rate before {@code minBytesPerSecond} applies
   */
  public BodyRateHandler(long minBytesPerSecond, long bodyTimeoutMs, long graceMs) {
    if (bodyTimeoutMs < 1) {
      throw new IllegalArgumentException("bodyTimeoutMs: " + bodyTimeoutMs + " (expected: >= 1)");
    }
    if (graceMs < 0) {
      throw new IllegalArgumentException("graceMs: " + graceMs + " (expected: >= 0)");
    }
    this.minBytesPerSecond = minBytesPerSecond;
    this.bodyTimeoutMs = bodyTimeoutMs;
    this.graceNanos = TimeUnit.MILLISECONDS.toNanos(graceMs);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request && !(msg instanceof LastHttpContent)) {
      boolean hasBody =
          HttpUtil.getContentLength(request, 0L) > 0 || HttpUtil.isTransferEncodingChunked(request);
      if (hasBody) {
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
    answered = false;
    // Runs even with the rate check off: it keeps the time not read, which the deadline skips.
    check = ctx.executor().scheduleAtFixedRate(
        () -> check(ctx), CHECK_EVERY_MS, CHECK_EVERY_MS, TimeUnit.MILLISECONDS);
    deadlineIn(ctx, TimeUnit.MILLISECONDS.toNanos(bodyTimeoutMs));
  }

  private void deadlineIn(ChannelHandlerContext ctx, long nanos) {
    deadline = ctx.executor().schedule(() -> deadline(ctx), nanos, TimeUnit.NANOSECONDS);
  }

  /** Time since the head, less the time we were not reading. */
  private long readingNanos() {
    return System.nanoTime() - startNanos - notReadingNanos;
  }

  private void check(ChannelHandlerContext ctx) {
    if (check == null) {
      return;
    }
    if (!ctx.channel().config().isAutoRead()) {
      notReadingNanos += TimeUnit.MILLISECONDS.toNanos(CHECK_EVERY_MS);
      return;
    }
    long elapsed = readingNanos();
    if (minBytesPerSecond == 0 || elapsed < graceNanos) {
      return;
    }
    // bytes / seconds < min, without division: bytes * 1e9 < min * nanos (both fit in a long
    // for any body under the size limit and any rate the knob allows, over hours).
    if (bytes * 1_000_000_000L < minBytesPerSecond * elapsed) {
      refuse(ctx, "the request body arrived slower than " + minBytesPerSecond + " bytes per second");
    }
  }

  private void deadline(ChannelHandlerContext ctx) {
    if (check == null) {
      return;
    }
    long left = TimeUnit.MILLISECONDS.toNanos(bodyTimeoutMs) - readingNanos();
    if (!ctx.channel().config().isAutoRead()) {
      left = Math.max(left, TimeUnit.MILLISECONDS.toNanos(CHECK_EVERY_MS)); // not reading: not late
    }
    if (left > 0) {
      deadlineIn(ctx, left);
      return;
    }
    refuse(ctx, "the request body did not arrive whole within " + bodyTimeoutMs + " ms");
  }

  private void refuse(ChannelHandlerContext ctx, String why) {
    stop();
    if (answered) {
      ctx.close();
    } else {
      Refusals.refuseAndClose(ctx, ParapetError.REQUEST_TIMEOUT, why);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof RequestCompleted && check != null) {
      answered = true;
    }
    ctx.fireUserEventTriggered(evt);
  }

  private void stop() {
    if (check != null) {
      check.cancel(false);
      check = null;
    }
    if (deadline != null) {
      deadline.cancel(false);
      deadline = null;
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
