package dev.parapet.runtime.upstream;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * Sits on every upstream connection after the HTTP client codec, before the exchange of the
 * moment. While the connection rests in the pool it closes it when it has been idle too long
 * (kept below providers' own idle timeouts so we never write into a connection the provider is
 * closing, RFC 9112 §9.3.1) and when the provider sends anything unasked (an HTTP/1.1 server may
 * only answer requests: stray bytes mean the connection is out of step). While leased it passes
 * everything on to the exchange.
 */
final class IdleConnectionGuard extends ChannelInboundHandlerAdapter {
  static final String NAME = "idle-guard";
  /** Rest no longer than this: the server's own idle timeout, less a second for the network. */
  static final long KEEP_ALIVE_MARGIN_MILLIS = 1_000;
  private boolean leased;
  /**
   * Rests in the pool between exchanges: only then does idleness close it. Not while it is being
   * opened (a proxy's answer to our CONNECT, a TLS handshake), which the connect deadline bounds: a
   * pool idle time shorter than that would otherwise cut a slow handshake.
   */
  private boolean resting;
  /** When the server may close the resting connection; meaningful while {@link #restLimited}. */
  private long restEndNanos;
  private boolean restLimited;

  void leased(boolean leased) {
    this.leased = leased;
    resting = resting && !leased;
  }

  /**
   * The connection rests from now, for at most {@code maxRestMillis} ({@link Long#MAX_VALUE}: the
   * server set no limit; the pool's idle timeout applies).
   */
  void rest(long maxRestMillis) {
    leased = false;
    resting = true;
    restLimited = maxRestMillis != Long.MAX_VALUE;
    restEndNanos = restLimited ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxRestMillis) : 0;
  }

  /** Whether the connection rested past what the server said it keeps an idle connection. */
  boolean restedTooLong() {
    return restLimited && System.nanoTime() - restEndNanos >= 0;
  }

  /**
   * How long a connection may rest after an answer whose {@code Keep-Alive} field says how long the
   * server keeps an idle one ({@code timeout=5}; RFC 2068 §19.7.1.1, sent by Apache httpd and by
   * cpp-httplib, llama.cpp's server): {@link #KEEP_ALIVE_MARGIN_MILLIS} less, so that we do not
   * write a call into a connection the server is closing at that moment (RFC 9112 §9.3.1), which
   * would fail it without a retry. At most zero: do not keep it. {@link Long#MAX_VALUE} when the
   * field says nothing usable: the pool's own idle timeout applies.
   */
  static long maxRestMillis(HttpHeaders headers) {
    String value = headers.get(HttpHeaderNames.KEEP_ALIVE);
    if (value == null) {
      return Long.MAX_VALUE;
    }
    for (String parameter : value.split(",")) {
      String p = parameter.trim();
      if (p.regionMatches(true, 0, "timeout=", 0, "timeout=".length())) {
        String seconds = p.substring("timeout=".length()).trim();
        if (seconds.isEmpty() || seconds.length() > 9 || !seconds.chars().allMatch(c -> c >= '0' && c <= '9')) {
          return Long.MAX_VALUE;
        }
        return Long.parseLong(seconds) * 1_000 - KEEP_ALIVE_MARGIN_MILLIS;
      }
    }
    return Long.MAX_VALUE;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (leased) {
      ctx.fireChannelRead(msg);
      return;
    }
    ReferenceCountUtil.release(msg);
    ctx.close();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (resting) {
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  /**
   * Passed on to the exchange while one reads this connection; otherwise the connection just
   * closes. Never to the pipeline's tail, where Netty would log the exception whole: a decoder's or
   * the TLS handler's text can carry the provider's bytes (a plain-HTTP server's answer to our TLS
   * hello arrives hex-dumped in {@code NotSslRecordException}), and an exchange that has already
   * failed has left the connection leased but without its reader.
   */
  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (leased && ctx.pipeline().last() != this) {
      ctx.fireExceptionCaught(cause);
    } else {
      ctx.close();
    }
  }
}
