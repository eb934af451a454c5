package dev.parapet.runtime.upstream;

import dev.parapet.runtime.provider.UpstreamCall;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.ChannelOutputShutdownException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One request to a provider and its answer, on a pooled connection of the caller's event loop.
 * Owns the connection while it runs and decides its fate: back to the pool only after a clean,
 * complete exchange whose request went out whole and whose answer allows persistence (RFC 9112
 * §9.3), closed otherwise. Owns the timeouts too: the answer must start within {@code timeoutMs},
 * no gap between body pieces may exceed it (unless the caller is the slow side and we stopped
 * reading), and nothing runs longer than {@link #TOTAL_CAP_FACTOR} times it. A whole answer, which
 * the caller sees nothing of until its last byte, must end within {@code timeoutMs}: a provider
 * that drips it byte by byte is slower than that, however short its gaps.
 *
 * <p>Retries: a reused connection that turns out closed before any byte of the request left
 * (the write fails with the channel already closed or shut down for output) is replaced once by
 * a fresh connection. Never once a byte may have gone upstream: a POST is not idempotent (RFC
 * 9110 §9.2.2) and a provider may bill a request it never answered.
 */
final class UpstreamExchange {
  static final String NAME = "exchange";
  static final int TOTAL_CAP_FACTOR = 10;
  static final int MAX_CONNECT_TIMEOUT_MS = 10_000;

  /**
   * Hop-by-hop and framing fields we set ourselves (RFC 9110 §7.6.1, RFC 9112 §6), and the coding
   * we take.
   */
  private static final Set<String> NOT_FROM_ADAPTER = Set.of(
      "host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te",
      "trailer", "proxy-connection", "expect", "accept-encoding");

  private final OriginPool pool;
  private final Origin origin;
  private UpstreamCall call; // dropped with the answer's head: no retry can need the body after it
  private final long timeoutNanos;
  /** From the start to the answer's last byte. */
  private final long totalNanos;
  private final ExchangeListener listener;
  private final EventLoop loop;

  private Channel channel;
  private ChannelFuture write;
  /** The connection asked of the pool, until it comes: in line for one, or being opened. */
  private OriginPool.Pending leased;
  /**
   * The connection's TLS, for an https provider: whether its handshake had completed tells a TLS
   * failure of the handshake from one in the middle of the exchange. The request is written
   * before the handshake ends (the handler holds it until then), so a TLS failure on a connection
   * we had may be either, and the exception does not tell (an SSLException, or Netty's
   * NotSslRecordException, both times); the handshake's future does: a failed or unfinished
   * handshake never succeeds it, a later failure leaves it succeeded. Kept from the lease, as a
   * closed connection's pipeline loses its handlers.
   */
  private SslHandler tls;
  private HttpResponse head;
  private boolean reused;
  private boolean retried;
  private boolean informational;
  private boolean paused;
  private boolean done;
  private long startNanos;
  private long lastActivityNanos;
  private ScheduledFuture<?> timer;

  /** @param whole whether the answer is read whole before the caller sees any of it */
  UpstreamExchange(OriginPool pool, Origin origin, UpstreamCall call, int timeoutMs, boolean whole,
      ExchangeListener listener, EventLoop loop) {
    this.pool = pool;
    this.origin = origin;
    this.call = call;
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    this.totalNanos = whole ? timeoutNanos : TOTAL_CAP_FACTOR * timeoutNanos;
    this.listener = listener;
    this.loop = loop;
  }

  void start() {
    startNanos = System.nanoTime();
    lastActivityNanos = startNanos;
    arm(timeoutNanos);
    acquire(false);
  }

  /** Stops the exchange from our side (caller gone, answer vetoed): closes the connection, reports nothing. */
  void abort() {
    if (done) {
      return;
    }
    done = true;
    cancelTimer();
    if (channel != null) {
      channel.close();
    } else if (leased != null) {
      pool.giveUp(leased); // still in line: the place goes to the next caller, not to a dead one
    }
  }

  /** Backpressure: stop reading the provider while the caller cannot take more. */
  void pauseReading() {
    paused = true;
    if (channel != null && !done) {
      channel.config().setAutoRead(false);
    }
  }

  void resumeReading() {
    if (!paused) {
      return;
    }
    paused = false;
    lastActivityNanos = System.nanoTime(); // the pause was the caller's, not the provider's
    if (channel != null && !done) {
      channel.config().setAutoRead(true);
    }
  }

  boolean done() {
    return done;
  }

  private int connectTimeoutMs() {
    return (int) Math.min(TimeUnit.NANOSECONDS.toMillis(timeoutNanos), MAX_CONNECT_TIMEOUT_MS);
  }

  private void acquire(boolean fresh) {
    OriginPool.Pending promise = new OriginPool.Pending(loop);
    leased = promise;
    promise.addListener(this::onLease);
    pool.acquire(fresh, connectTimeoutMs(), promise);
  }

  private void onLease(Future<? super OriginPool.Lease> f) {
    if (!f.isSuccess()) {
      failOn(f.cause(), false);
      return;
    }
    OriginPool.Lease lease = (OriginPool.Lease) f.getNow();
    if (done) {
      pool.release(lease.channel()); // aborted while connecting: the connection is untouched
      return;
    }
    channel = lease.channel();
    reused = lease.reused();
    tls = channel.pipeline().get(SslHandler.class);
    Channel ch = channel;
    ch.pipeline().addLast(NAME, new Reader(ch));
    if (paused) {
      ch.config().setAutoRead(false);
    }
    FullHttpRequest req;
    try {
      req = request();
    } catch (RuntimeException e) {
      // unreachable for a tree we parsed; never leave the caller waiting
      fail(FailureReason.REQUEST_NOT_ENCODED);
      return;
    }
    write = ch.writeAndFlush(req);
    write.addListener(w -> onWritten(ch, w));
  }

  private FullHttpRequest request() {
    String path = call.uri().getRawPath();
    if (path == null || path.isEmpty()) {
      path = "/";
    }
    if (call.uri().getRawQuery() != null) {
      path += "?" + call.uri().getRawQuery();
    }
    // The body goes straight into a buffer of the upstream channel's (pooled) allocator.
    FullHttpRequest req = new DefaultFullHttpRequest(
        HttpVersion.HTTP_1_1, HttpMethod.POST, path, call.encodeBody(channel.alloc()));
    try {
      call.headers().forEach((name, value) -> {
        if (!NOT_FROM_ADAPTER.contains(name.toLowerCase(Locale.ROOT))) {
          req.headers().set(name, value);
        }
      });
      // The answer is read, counted and scanned as sent, and the key masked in an error body: a
      // provider must not compress it (with no Accept-Encoding, any coding is acceptable, RFC 9110
      // §12.5.3, and a compressed 2xx answer would be charged its worst case as unreadable).
      req.headers()
          .set(HttpHeaderNames.HOST, origin.hostHeader())
          .set(HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderValues.IDENTITY)
          .setInt(HttpHeaderNames.CONTENT_LENGTH, req.content().readableBytes());
    } catch (RuntimeException e) {
      req.release();
      throw e;
    }
    return req;
  }

  private void onWritten(Channel ch, Future<?> w) {
    if (w.isSuccess() || done || ch != channel) {
      return;
    }
    Throwable cause = w.cause();
    boolean nothingSent = cause instanceof ClosedChannelException || cause instanceof ChannelOutputShutdownException;
    if (reused && !retried && nothingSent && head == null) {
      retried = true;
      detach(ch);
      ch.close();
      channel = null;
      write = null;
      acquire(true);
      return;
    }
    failOn(cause, true);
  }

  private void onRead(Object msg) {
    if (msg instanceof HttpObject o && o.decoderResult().isFailure()) {
      fail(decoderFailure(o));
      return;
    }
    if (!(msg instanceof HttpObject)) {
      fail(FailureReason.NOT_HTTP); // raw bytes: the decoder gave up on HTTP (it does after a 101)
      return;
    }
    if (msg instanceof HttpResponse response) {
      if (response.status().code() == HttpResponseStatus.SWITCHING_PROTOCOLS.code()) {
        // We never ask to upgrade, and a server must not switch unasked (RFC 9110 §15.2.2); what
        // follows is no HTTP answer to read, and the connection is out of step.
        fail(FailureReason.UNASKED_UPGRADE);
        return;
      }
      if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
        informational = true; // 1xx (RFC 9110 §15.2): a final answer follows
        return;
      }
      head = response;
      call = null;
      lastActivityNanos = System.nanoTime();
      listener.onHead(response);
    }
    if (msg instanceof HttpContent content && !done) {
      if (informational) {
        informational = !(content instanceof LastHttpContent);
        return;
      }
      if (head == null) {
        fail(FailureReason.MALFORMED_HEAD);
        return;
      }
      lastActivityNanos = System.nanoTime();
      if (content.content().isReadable()) {
        listener.onContent(content.content());
      }
      if (!done && content instanceof LastHttpContent) {
        finish();
      }
    }
  }

  private void finish() {
    done = true;
    cancelTimer();
    Channel ch = channel;
    detach(ch);
    boolean reusable = ch.isActive() && HttpUtil.isKeepAlive(head) && write != null && write.isSuccess();
    if (reusable) {
      pool.release(ch, IdleConnectionGuard.maxRestMillis(head.headers()));
    } else {
      ch.close();
    }
    listener.onEnd();
  }

  /**
   * Why the decoder could not read {@code o}: by the type of its failure (a line or head past the
   * decoder's limits) and by where it was, never by the failure's text, which quotes what the
   * provider sent.
   */
  private static FailureReason decoderFailure(HttpObject o) {
    if (o.decoderResult().cause() instanceof TooLongFrameException) {
      return FailureReason.HEAD_TOO_LARGE;
    }
    return o instanceof HttpResponse ? FailureReason.MALFORMED_HEAD : FailureReason.MALFORMED_FRAMING;
  }

  /**
   * Fails on {@code cause} ({@code connected}: after a connection was had), for the reason its
   * types give, which also says what the caller is told ({@link FailureReason#kind}).
   */
  private void failOn(Throwable cause, boolean connected) {
    boolean secured = connected && tls != null && tls.handshakeFuture().isSuccess();
    fail(FailureReason.of(cause, connected, pool.proxied(), secured));
  }

  private void fail(FailureReason reason) {
    if (done) {
      return;
    }
    done = true;
    cancelTimer();
    if (channel != null) {
      detach(channel);
      channel.close();
    }
    listener.onFailure(reason);
  }

  private void onInactive(Channel ch) {
    if (done || ch != channel) {
      return;
    }
    if (write != null && !write.isDone()) {
      return; // the pending write fails next and decides whether nothing was sent
    }
    fail(FailureReason.CLOSED);
  }

  private void detach(Channel ch) {
    if (ch.pipeline().get(NAME) != null) {
      ch.pipeline().remove(NAME);
    }
  }

  private void arm(long delayNanos) {
    timer = loop.schedule(this::onTimer, delayNanos, TimeUnit.NANOSECONDS);
  }

  private void cancelTimer() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  /** One timer, re-armed for whichever deadline is next (as Netty's IdleStateHandler does). */
  private void onTimer() {
    if (done) {
      return;
    }
    long now = System.nanoTime();
    long total = startNanos + totalNanos;
    long next = head == null ? startNanos + timeoutNanos : lastActivityNanos + timeoutNanos;
    if (paused && head != null) {
      next = now + timeoutNanos;
    }
    next = Math.min(next, total);
    if (next - now <= 0) {
      if (channel == null && pool.giveUp(leased)) {
        return; // still in line for a connection: nothing went out; refused as the line refuses (onLease)
      }
      // Still looking the host up or connecting: nothing went out, the provider was not reached
      // (and is charged nothing), as when the pool's connect deadline, no later than this one, fails it.
      if (channel == null) {
        fail(pool.stillConnecting(leased));
      } else {
        fail(head == null ? FailureReason.HEAD_TIMEOUT
            : now - total >= 0 ? FailureReason.TOTAL_TIMEOUT : FailureReason.IDLE_TIMEOUT);
      }
    } else {
      arm(next - now);
    }
  }

  /** The exchange's inbound end on one connection; ignores a connection it no longer owns. */
  private final class Reader extends ChannelInboundHandlerAdapter {
    private final Channel ch;

    Reader(Channel ch) {
      this.ch = ch;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (!done && ch == channel) {
          onRead(msg);
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      onInactive(ch);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!done && ch == channel) {
        failOn(cause, true);
      } else {
        ctx.close();
      }
    }
  }
}
