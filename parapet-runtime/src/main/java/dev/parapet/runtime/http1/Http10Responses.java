package dev.parapet.runtime.http1;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Answers an HTTP/1.0 caller in terms it reads. Every handler writes HTTP/1.1 responses; for a
 * request that said HTTP/1.0 two things then go wrong, and this handler mends both on the way out:
 *
 * <ul>
 *   <li>A streamed answer's chunked transfer coding, which an HTTP/1.0 recipient does not know
 *       (RFC 9112 §6.1: a server must not send it unless the request is HTTP/1.1 or later): the
 *       caller would read the chunk sizes as part of the events. The body goes unframed instead,
 *       ended by closing the connection (RFC 9112 §6.3, item 8), so {@code connection: close} is set
 *       and the keep-alive handler closes after the last content.
 *   <li>A kept-alive HTTP/1.0 connection: an HTTP/1.0 caller keeps it open only when the answer
 *       says {@code connection: keep-alive} (RFC 9112 §C.2.2, ApacheBench's {@code -k}); without it,
 *       it waits for a close that never comes, or opens a connection per call.
 * </ul>
 *
 * Sits on the tail side of {@link io.netty.handler.codec.http.HttpServerKeepAliveHandler}, so that
 * handler sees the mended head and closes the connection when the head says so. Requests reach it
 * one at a time (the flow control before it holds a pipelined request until the one before is
 * answered), so one field tells the version of the request being answered.
 */
public final class Http10Responses extends ChannelDuplexHandler {
  private boolean http10;
  private boolean keepAlive;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request) {
      http10 = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
      keepAlive = http10 && HttpUtil.isKeepAlive(request);
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (http10 && msg instanceof HttpResponse response
        && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
      mend(response.headers());
    }
    ctx.write(msg, promise);
  }

  private void mend(HttpHeaders headers) {
    if (headers.containsValue(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED, true)) {
      headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (keepAlive && !headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true)) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
  }
}
