package dev.parapet.runtime.flow;

import dev.parapet.runtime.RequestCompleted;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.util.AttributeKey;
import java.util.function.BooleanSupplier;

/**
 * Right after the keep-alive handler, on the way out: once the gateway is draining (shutdown),
 * every final response says {@code Connection: close} (RFC 9112 §9.6), so the keep-alive handler
 * closes the connection after it and the caller's next request goes to a live instance instead of
 * racing the shutdown.
 *
 * <p>On the way in it marks a connection as {@linkplain #midRequest(Channel) mid-request} from a
 * request's head to its {@link RequestCompleted}: a request whose body is still arriving, or that
 * waits for room in the body budget, is not dispatched yet, but the drain must wait for it too
 * rather than cut its caller off without an answer. A connection whose last request completed and
 * whose answer has left is an idle keep-alive connection: the drain closes it at once ({@link
 * #closeIfIdle}), as nginx and Go's {@code Server.Shutdown} do, so that its caller's next request
 * opens a connection elsewhere instead of starting a call here that the grace period may cut.
 */
@Sharable
public final class DrainHandler extends ChannelDuplexHandler {
  private static final AttributeKey<Boolean> MID_REQUEST = AttributeKey.valueOf(DrainHandler.class, "midRequest");
  private static final AttributeKey<Boolean> CUT = AttributeKey.valueOf(DrainHandler.class, "cut");
  private final BooleanSupplier draining;

  public DrainHandler(BooleanSupplier draining) {
    this.draining = draining;
  }

  /** Whether a request's head has come in on {@code channel} and the request has not completed. */
  public static boolean midRequest(Channel channel) {
    return Boolean.TRUE.equals(channel.attr(MID_REQUEST).get());
  }

  /**
   * Closes {@code channel}, on its event loop, if it is between requests: one has completed on it,
   * no other has begun, and nothing of its answer waits to be sent. A connection that has not sent
   * its first request yet is left alone: its caller is about to, and its answer will close it.
   */
  public static void closeIfIdle(Channel channel) {
    channel.eventLoop().execute(() -> {
      ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
      if (Boolean.FALSE.equals(channel.attr(MID_REQUEST).get())
          && out != null && out.totalPendingWriteBytes() == 0) {
        channel.close();
      }
    });
  }

  /**
   * At the end of the shutdown grace period: closes {@code channel}, on its event loop, marked as
   * {@linkplain #cutByShutdown cut} first, so that the request it cuts short ends as {@link
   * dev.parapet.runtime.http.ParapetError#SHUTDOWN}, not as a caller who left (499). A channel its
   * caller has already closed is left as it is: that request's caller did leave.
   */
  public static void cut(Channel channel) {
    channel.eventLoop().execute(() -> {
      if (channel.isActive()) {
        channel.attr(CUT).set(Boolean.TRUE);
        channel.close();
      }
    });
  }

  /** Whether the shutdown grace period closed {@code channel} ({@link #cut}), not its caller. */
  public static boolean cutByShutdown(Channel channel) {
    return Boolean.TRUE.equals(channel.attr(CUT).get());
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest) {
      ctx.channel().attr(MID_REQUEST).set(Boolean.TRUE);
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof RequestCompleted) {
      ctx.channel().attr(MID_REQUEST).set(Boolean.FALSE);
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse response
        && response.status().codeClass() != HttpStatusClass.INFORMATIONAL
        && draining.getAsBoolean()) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    ctx.write(msg, promise);
  }
}
