package dev.parapet.runtime.flow;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * In the limits group, one per caller connection: stops reading it while our answers to it are
 * not leaving (the channel is above its write high-water mark), and resumes when they drain.
 * Without it a caller that pipelines requests answered from their head alone (health, 401, 404,
 * 405) and never reads the answers makes the gateway read on and queue answers without bound —
 * one connection, no token, gigabytes of heap. nginx waits for an answer to be sent before it
 * reads the next pipelined request; Envoy stops reading at its write-buffer watermark.
 *
 * <p>A caller that then takes no byte of its answers for {@code PARAPET_IDLE_TIMEOUT_MS}, with no
 * request of its in flight (a call's own deadlines bound those), is closed, as nginx's {@code
 * send_timeout} closes a client that accepts nothing between two writes. The measure is progress,
 * not the time since the caller last sent: a large answer read slowly but steadily is never cut,
 * however long it takes. Everything here runs on the connection's event loop.
 */
public final class AnswerBacklog extends ChannelInboundHandlerAdapter {
  private final long stallMillis;
  /** The next look at whether the caller took anything, while the channel is unwritable. */
  private ScheduledFuture<?> look;
  /** {@link #unsent} at the last look: a different count now means the answers moved. */
  private long unsentAtLastLook;

  /** {@code stallMillis}: how long a caller may take nothing of its answers (the idle timeout). */
  public AnswerBacklog(long stallMillis) {
    this.stallMillis = stallMillis;
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Channel ch = ctx.channel();
    // Once a lingering close shut our output down, what the caller sends is dropped unread: keep reading it.
    boolean lingering = ch instanceof DuplexChannel d && d.isOutputShutdown();
    if (!ch.isWritable() && !lingering) {
      ReadPauses.pause(ch, ReadPauses.Reason.ANSWERS_UNREAD);
      if (look == null && ch.isActive()) { // a writability event may come after the close
        lookLater(ctx, unsent(ch));
      }
    } else {
      ReadPauses.resume(ch, ReadPauses.Reason.ANSWERS_UNREAD);
      stopLooking();
    }
    ctx.fireChannelWritabilityChanged();
  }

  private void look(ChannelHandlerContext ctx) {
    look = null;
    Channel ch = ctx.channel();
    if (!ch.isActive() || ch.isWritable()) {
      return;
    }
    long unsent = unsent(ch);
    // Any change, not only less: what we wrote since the last look (a stream's events after the one
    // that crossed the mark, then its end) adds to what is unsent while the caller takes bytes, and
    // may add more than it took. Nothing is written to a connection with nothing in flight, so one
    // whose caller takes nothing shows the same count at the next look.
    if (unsent != unsentAtLastLook || !ReadPauses.onlyForUnreadAnswers(ch)) {
      lookLater(ctx, unsent); // the caller took bytes, we wrote, or a request is in flight
      return;
    }
    ch.close(); // took nothing for the whole period, and nothing of it is in flight
  }

  /** Looks again in {@code stallMillis}, against {@code unsent} bytes still to send now. */
  private void lookLater(ChannelHandlerContext ctx, long unsent) {
    unsentAtLastLook = unsent;
    look = ctx.executor().schedule(() -> look(ctx), stallMillis, TimeUnit.MILLISECONDS);
  }

  /**
   * The answer bytes still to send. Not {@link Channel#bytesBeforeWritable()}: the pending count
   * drops only when a whole buffer is written, and one answer may be a single buffer of megabytes
   * the caller is taking steadily; the buffer being written counts here less what of it went
   * (as Netty's own {@code IdleStateHandler} watches output progress).
   */
  private static long unsent(Channel ch) {
    ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
    return out == null ? 0 : out.totalPendingWriteBytes() - out.currentProgress();
  }

  private void stopLooking() {
    if (look != null) {
      look.cancel(false);
      look = null;
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    stopLooking();
    ctx.fireChannelInactive();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    stopLooking();
  }
}
