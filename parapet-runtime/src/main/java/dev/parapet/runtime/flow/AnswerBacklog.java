package dev.parapet.runtime.flow;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;

/**
 * In the limits group: stops reading a caller connection while our answers to it are not leaving
 * (the channel is above its write high-water mark), and resumes when they drain. Without it a
 * caller that pipelines requests answered from their head alone (health, 401, 404, 405) and never
 * reads the answers makes the gateway read on and queue answers without bound — one connection,
 * no token, gigabytes of heap. nginx waits for an answer to be sent before it reads the next
 * pipelined request; Envoy stops reading at its write-buffer watermark. A caller that neither reads
 * nor sends is then closed by the idle timeout ({@code IdleCloseHandler}), as nginx's {@code
 * send_timeout} would.
 */
@Sharable
public final class AnswerBacklog extends ChannelInboundHandlerAdapter {
  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    // Once a lingering close shut our output down, what the caller sends is dropped unread: keep reading it.
    boolean lingering = ctx.channel() instanceof DuplexChannel d && d.isOutputShutdown();
    if (!ctx.channel().isWritable() && !lingering) {
      ReadPauses.pause(ctx.channel(), ReadPauses.Reason.ANSWERS_UNREAD);
    } else {
      ReadPauses.resume(ctx.channel(), ReadPauses.Reason.ANSWERS_UNREAD);
    }
    ctx.fireChannelWritabilityChanged();
  }
}
