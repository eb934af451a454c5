package dev.parapet.runtime.flow;

import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.http.Exchange;
import dev.parapet.runtime.http.Refusals;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One request at a time per connection. Sits after body aggregation: when a complete request goes
 * on, the connection stops reading (autoRead off), so pipelined requests wait in the socket (or,
 * already decoded, in the {@code FlowControlHandler} right after the codec) instead of piling up;
 * the request's {@link RequestCompleted} resumes reading. Answers therefore leave in request order
 * (RFC 9112 §9.3.2). It also keeps the gateway-wide count of dispatched, unfinished requests that
 * a graceful shutdown waits for. While a request is in flight a caller who hangs up is still
 * noticed at once: on epoll by the transport itself (EPOLLRDHUP is watched with reading paused),
 * on NIO by the {@link HangUpWatch} before the codec, which keeps one read pending. A caller who
 * leaves before its request got here whole (mid-body) ends that request here (499).
 *
 * <p>Nothing else may turn this connection's autoRead back on while a request is in flight.
 */
public final class InFlightGate extends ChannelInboundHandlerAdapter {
  private final AtomicInteger inFlight;
  private final Optional<HangUpWatch> hangUps;
  private boolean dispatched;

  /** @param hangUps this connection's watch, before the codec (NIO only) */
  public InFlightGate(AtomicInteger inFlight, Optional<HangUpWatch> hangUps) {
    this.inFlight = inFlight;
    this.hangUps = hangUps;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof FullHttpRequest && !dispatched) {
      dispatched = true;
      inFlight.incrementAndGet();
      ReadPauses.pause(ctx.channel(), ReadPauses.Reason.IN_FLIGHT);
      hangUps.ifPresent(HangUpWatch::requestInFlight);
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof RequestCompleted && finish()) {
      Channel channel = ctx.channel();
      // Resume on the next loop turn, not inside the handler that is still finishing this request.
      channel.eventLoop().execute(() -> {
        if (channel.isActive() && !dispatched) {
          ReadPauses.resume(channel, ReadPauses.Reason.IN_FLIGHT); // unless answers are still unread
        }
      });
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (!dispatched && Exchange.of(ctx.channel()).isPresent()) {
      // Its head was read (it has a request id) but it never got whole here: the caller left mid-body,
      // or while its body waited for room. Nothing behind us knows of it, so it ends here, as a caller
      // gone, for its access line and its row like any other request (nginx logs such a one too).
      Refusals.complete(ctx, RequestCompleted.goneStatus(ctx.channel()), RequestCompleted.goneError(ctx.channel()));
    }
    finish();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    finish();
  }

  private boolean finish() {
    if (!dispatched) {
      return false;
    }
    dispatched = false;
    inFlight.decrementAndGet();
    return true;
  }
}
