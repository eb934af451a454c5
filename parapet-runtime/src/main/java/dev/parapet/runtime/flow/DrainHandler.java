package dev.parapet.runtime.flow;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import java.util.function.BooleanSupplier;

/**
 * Right after the keep-alive handler, on the way out: once the gateway is draining (shutdown),
 * every final response says {@code Connection: close} (RFC 9112 §9.6), so the keep-alive handler
 * closes the connection after it and the caller's next request goes to a live instance instead of
 * racing the shutdown.
 */
@Sharable
public final class DrainHandler extends ChannelDuplexHandler {
  private final BooleanSupplier draining;

  public DrainHandler(BooleanSupplier draining) {
    this.draining = draining;
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
