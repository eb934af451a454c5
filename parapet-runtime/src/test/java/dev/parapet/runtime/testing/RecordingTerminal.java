package dev.parapet.runtime.testing;

import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.RequestCompleted;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The test stand-in for the upstream stage: records every GatewayRequest, answers 200 with
 * {@code {"route":…,"n":…}} (with {@code "pad":"aaa…"} of {@code padBytes} when set) after {@code
 * delayMs}, and fires RequestCompleted.
 */
public final class RecordingTerminal {
  public final BlockingQueue<GatewayRequest> received = new LinkedBlockingQueue<>();
  public volatile long delayMs;
  /** Filler added to each answer, for answers larger than the socket buffers. */
  public volatile int padBytes;
  private int counter;

  public io.netty.channel.ChannelHandler newHandler() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof GatewayRequest request)) {
          ctx.fireChannelRead(msg);
          return;
        }
        received.add(request);
        int n;
        synchronized (RecordingTerminal.this) {
          n = ++counter;
        }
        int pad = padBytes;
        Runnable answer = () -> answer(ctx, request, n, pad);
        if (delayMs > 0) {
          ctx.executor().schedule(answer, delayMs, TimeUnit.MILLISECONDS);
        } else {
          answer.run();
        }
      }
    };
  }

  private static void answer(ChannelHandlerContext ctx, GatewayRequest request, int n, int pad) {
    byte[] bytes = ("{\"route\":\"" + request.route().name() + "\",\"n\":" + n
        + (pad > 0 ? ",\"pad\":\"" + "a".repeat(pad) + "\"" : "") + "}")
        .getBytes(StandardCharsets.UTF_8);
    ByteBuf body = ctx.alloc().buffer().writeBytes(bytes);
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
    HttpUtil.setKeepAlive(r, request.keepAlive());
    ctx.writeAndFlush(r);
    ctx.pipeline().fireUserEventTriggered(new RequestCompleted(request.requestId(), Optional.of(request),
        200, Optional.empty(), Optional.empty(), Optional.empty(), System.nanoTime() - request.startNanos()));
  }
}
