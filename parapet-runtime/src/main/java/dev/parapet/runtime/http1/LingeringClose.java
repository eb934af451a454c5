package dev.parapet.runtime.http1;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * First in the pipeline: closes a connection whose caller may still be sending the way RFC 9112
 * §9.6 asks, so that the caller can read the answer that ends it. Closing a socket with unread
 * bytes makes the kernel answer with a reset, which on the caller's side discards the answer
 * still unread there: an SDK that writes its whole body before reading (every OpenAI, Vercel AI
 * and LangChain client over Node's fetch) saw {@code ECONNRESET} instead of 413 {@code
 * request_too_large}, took it for a network failure and sent the same body again, two to six more
 * times, to be reset each time.
 *
 * <p>An answer that ends its connection while its request's body may still be on its way ({@link
 * Arming}: a refusal from the head, 401, 404, 405, 417, 413, a 408 for a late body, a 400 for bad
 * framing, or any answer the drain or the caller's {@code Connection: close} turns into the last)
 * makes the close that follows it linger: the output is shut down (the caller reads the answer, then end of stream), and
 * whatever the caller still sends is read and dropped here, never parsed, until it closes its side,
 * {@link #MAX_DROPPED_BYTES} have been dropped or {@link #LINGER_MS} have passed, whichever comes
 * first; then the connection closes. Closes asked for meanwhile wait for that one, except once the
 * gateway is shutting down: then the drain's last close of its connections ends a linger at once,
 * so a caller that never hangs up cannot hold the shutdown past {@code PARAPET_SHUTDOWN_GRACE_MS}.
 * One instance per connection.
 */
public final class LingeringClose extends ChannelDuplexHandler {
  /** Long enough for a caller to finish sending a body a few times the body limit over a LAN. */
  static final long LINGER_MS = 10_000;
  /** What a lingering connection reads and drops at most. */
  static final long MAX_DROPPED_BYTES = 64L << 20;

  private final BooleanSupplier shuttingDown;
  private boolean armed;
  private boolean lingering;
  private long dropped;

  /** @param shuttingDown whether the gateway is draining: a close asked for then is not deferred */
  public LingeringClose(BooleanSupplier shuttingDown) {
    this.shuttingDown = shuttingDown;
  }

  /** The next close of {@code channel} lingers (a no-op on a channel without this handler). */
  static void arm(Channel channel) {
    LingeringClose handler = channel.pipeline().get(LingeringClose.class);
    if (handler != null) {
      handler.armed = true;
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!lingering) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (msg instanceof ByteBuf bytes) {
      dropped += bytes.readableBytes();
    }
    ReferenceCountUtil.release(msg);
    if (dropped > MAX_DROPPED_BYTES) {
      ctx.close();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (!lingering) {
      ctx.fireChannelReadComplete();
    }
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    Channel channel = ctx.channel();
    if (lingering) {
      if (shuttingDown.getAsBoolean()) {
        ctx.close(promise);
      } else {
        whenClosed(channel, promise);
      }
      return;
    }
    if (!armed || !(channel instanceof DuplexChannel duplex) || !channel.isActive()) {
      ctx.close(promise);
      return;
    }
    armed = false;
    lingering = true;
    whenClosed(channel, promise);
    ScheduledFuture<?> deadline = ctx.executor().schedule(() -> {
      ctx.close();
    }, LINGER_MS, TimeUnit.MILLISECONDS);
    channel.closeFuture().addListener(f -> deadline.cancel(false));
    duplex.shutdownOutput().addListener(f -> {
      if (!f.isSuccess()) {
        ctx.close();
      }
    });
    channel.config().setAutoRead(true);
    channel.read();
  }

  private static void whenClosed(Channel channel, ChannelPromise promise) {
    if (!promise.isVoid()) {
      channel.closeFuture().addListener(f -> promise.trySuccess());
    }
  }

  /**
   * Right after the codec's flow control, where requests pass one at a time and answers pass last,
   * with their {@code Connection} header final (after the keep-alive handler, the HTTP/1.0 mending
   * and the drain): arms {@link LingeringClose} when an answer that ends the connection goes out
   * while the body of the request it answers has not all arrived, so the close after it lingers.
   * Whatever the caller sent after such an answer is released here unread, so nothing of it is
   * answered on a connection whose last answer has gone (RFC 9112 §9.6: no further request is
   * processed), nor counted or logged as a request; nor is a head begun after it that times out
   * while the connection lingers. One instance per connection.
   */
  public static final class Arming extends ChannelDuplexHandler {
    /** The current request's body may still be arriving (after a framing error: anything may). */
    private boolean bodyToCome;
    /** An answer that ends the connection was written: nothing more goes on. */
    private boolean ending;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (ending) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (msg instanceof HttpObject http && http.decoderResult().isFailure()) {
        bodyToCome = true; // framing lost: what follows on the wire is unknown
      } else if (msg instanceof LastHttpContent) {
        bodyToCome = false;
      } else if (msg instanceof HttpRequest head) {
        bodyToCome = announcesBody(head);
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (ending && evt instanceof HeadTimedOut) {
        return; // a head begun behind the last answer: no request, no 408 line nor count
      }
      ctx.fireUserEventTriggered(evt);
    }

    private static boolean announcesBody(HttpRequest head) {
      try {
        return HttpUtil.isTransferEncodingChunked(head) || HttpUtil.getContentLength(head, 0L) > 0;
      } catch (NumberFormatException e) {
        return true; // refused for its framing behind us; its body may still come
      }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof HttpResponse response
          && response.status().codeClass() != HttpStatusClass.INFORMATIONAL
          && !HttpUtil.isKeepAlive(response)) {
        ending = true;
        if (bodyToCome) {
          arm(ctx.channel());
        }
      }
      ctx.write(msg, promise);
    }
  }
}
