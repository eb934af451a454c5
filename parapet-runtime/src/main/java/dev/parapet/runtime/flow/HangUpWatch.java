package dev.parapet.runtime.flow;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * Right before the codec, on NIO only: notices a caller who hangs up while its request is in
 * flight. The {@link InFlightGate} stops reading the connection then (autoRead off). On epoll a
 * hang-up still shows at once (Netty registers EPOLLRDHUP, reads to the end of the stream and
 * closes), so the gateway installs this handler only on NIO, which has no read interest left and
 * would see the caller's FIN, or even its reset, only when the answer is next written: a whole
 * answer would be generated (and billed) to its end, a stream until its next event. So while a
 * request is in flight this handler keeps one read pending ({@link #requestInFlight}): the end of
 * the stream or a reset closes the connection (half-closure is off: a caller that shuts down its
 * sending side is gone, as nginx and Envoy treat it), and the call ends as a caller gone (499)
 * with its upstream request closed.
 *
 * <p>What that read brings instead (the caller pipelined its next request) is held here, not
 * decoded, until the pipeline asks for input again, and no other read is made meanwhile: a
 * connection costs at most one read's buffer here, pipelined requests are still taken one at a
 * time, and only a hang-up after such bytes waits for the next write to show (on NIO).
 */
public final class HangUpWatch extends ChannelDuplexHandler {
  private ChannelHandlerContext ctx;
  /** Bytes the watching read brought while reading was paused; the pipeline has not asked for them yet. */
  private ByteBuf held;
  private boolean watching;

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  /** A request went in flight (the gate turned autoRead off): one read stays pending for a hang-up. */
  void requestInFlight() {
    if (held == null && ctx != null && !ctx.isRemoved()) {
      watching = true;
      ctx.read(); // from here, not from the gate: the flow control before the gate would hand out a queued request
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    boolean paused = !ctx.channel().config().isAutoRead();
    if (msg instanceof ByteBuf bytes && paused && (watching || held != null)) {
      watching = false;
      held = held == null ? bytes : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), held, bytes);
      return;
    }
    watching = false;
    handOver(ctx);
    ctx.fireChannelRead(msg);
  }

  /** The pipeline asks for input: what is held comes first, and satisfies the ask while reading is paused. */
  @Override
  public void read(ChannelHandlerContext ctx) {
    if (handOver(ctx)) {
      ctx.fireChannelReadComplete();
      if (!ctx.channel().config().isAutoRead()) {
        return; // the codec asks again if those bytes were not enough
      }
    }
    ctx.read();
  }

  private boolean handOver(ChannelHandlerContext ctx) {
    ByteBuf bytes = held;
    if (bytes == null) {
      return false;
    }
    held = null;
    ctx.fireChannelRead(bytes);
    return true;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    drop();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    drop();
  }

  private void drop() {
    watching = false;
    if (held != null) {
      held.release();
      held = null;
    }
  }
}
