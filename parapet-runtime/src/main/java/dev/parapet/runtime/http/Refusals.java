package dev.parapet.runtime.http;

import dev.parapet.runtime.RequestCompleted;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpUtil;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Answers a request the front of the pipeline refuses, and ends it: writes the SPEC §4 error body
 * and fires the one {@link RequestCompleted} every request ends with, so the connection resumes
 * reading and the access line is written. Every handler that refuses goes through here.
 */
public final class Refusals {
  private Refusals() {}

  /** Refuses and keeps the connection open if the caller asked for that. */
  public static void refuse(
      ChannelHandlerContext ctx, ParapetError error, String message, boolean keepAlive) {
    send(ctx, error, message, keepAlive, r -> {});
  }

  /** Refuses, with extra headers (for example {@code Allow} or {@code WWW-Authenticate}). */
  public static void refuse(
      ChannelHandlerContext ctx,
      ParapetError error,
      String message,
      boolean keepAlive,
      Consumer<FullHttpResponse> headers) {
    send(ctx, error, message, keepAlive, headers);
  }

  /**
   * Refuses and closes: for requests whose framing cannot be trusted (RFC 9112 §11.2: after a
   * message-framing error the rest of the connection cannot be parsed safely).
   */
  public static void refuseAndClose(ChannelHandlerContext ctx, ParapetError error, String message) {
    send(ctx, error, message, false, r -> {});
  }

  private static void send(
      ChannelHandlerContext ctx,
      ParapetError error,
      String message,
      boolean keepAlive,
      Consumer<FullHttpResponse> headers) {
    Optional<Exchange> exchange = Exchange.of(ctx.channel());
    String requestId = exchange.map(Exchange::requestId).orElse(null);
    FullHttpResponse response = ErrorResponses.create(ctx.alloc(), error, message, requestId);
    headers.accept(response);
    HttpUtil.setKeepAlive(response, keepAlive);
    if (!keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.writeAndFlush(response);
    }
    complete(ctx, error.status().code(), Optional.of(error));
  }

  /** Fires the completion of the current exchange, for answers the front writes itself. */
  public static void complete(ChannelHandlerContext ctx, int status, Optional<ParapetError> error) {
    Optional<Exchange> exchange = Exchange.of(ctx.channel());
    String requestId = exchange.map(Exchange::requestId).orElse("-");
    long latency = exchange.map(Exchange::elapsedNanos).orElse(0L);
    ctx.pipeline()
        .fireUserEventTriggered(
            new RequestCompleted(
                requestId,
                Optional.empty(),
                status,
                error,
                Optional.empty(),
                Optional.empty(),
                latency));
  }
}
