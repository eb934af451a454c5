package dev.parapet.runtime.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultPromise;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The keep-alive connections of one event loop to one {@link Origin} (Zuul's
 * PerServerConnectionPool). Touched only from its event loop, so it needs no locks. At most
 * {@code maxOpen} connections exist at once; callers beyond that wait in a bounded line for a
 * connection to come back or close, and beyond the line are refused at once ({@link
 * UpstreamFailure#OVERLOADED}) rather than queueing without bound.
 *
 * <p>Through an {@link EgressProxy} a connection is established once its tunnel is: the proxy's
 * host name looked up, TCP to the proxy, its 200 to our CONNECT, all within the one connect
 * deadline. A proxy that refuses, resets, hangs or answers garbage fails the connect, as a
 * provider refusing connections does.
 */
final class OriginPool {
  /** The TLS handler's name in a provider connection's pipeline. */
  private static final String TLS = "tls";
  /** A connection handed to one exchange; {@code reused} when it served an exchange before. */
  record Lease(Channel channel, boolean reused) {}

  /**
   * A lease asked for: the promise of a connection, which knows the connection being opened for it
   * until that is established or fails, so that an exchange whose own deadline comes first can
   * tell how far it got ({@link #stillConnecting}). Touched only from the pool's event loop.
   */
  static final class Pending extends DefaultPromise<Lease> {
    private Channel opening;

    Pending(EventLoop loop) {
      super(loop);
    }

    /** The connection being opened for this lease, or null; for tests, on the pool's loop. */
    Channel opening() {
      return opening;
    }
  }

  private record Waiter(Pending promise, ScheduledFuture<?> timeout, int connectTimeoutMs) {}

  private final EventLoop loop;
  private final Origin origin;
  private final Supplier<? extends Channel> channels;
  private final Supplier<SslContext> tls;
  private final Optional<EgressProxy> proxy;
  private final int maxOpen;
  private final int maxWaiting;
  private final long idleMillis;
  private final PoolStats.OfOrigin stats;
  private final Deque<Channel> idle = new ArrayDeque<>();
  private final Deque<Waiter> waiting = new ArrayDeque<>();
  private int open;

  /** {@code proxy}: the proxy this origin's connections go through, if any (it {@link EgressProxy#carries} it). */
  OriginPool(EventLoop loop, Origin origin, Supplier<? extends Channel> channels, Supplier<SslContext> tls,
      Optional<EgressProxy> proxy, int maxOpen, long idleMillis, PoolStats.OfOrigin stats) {
    this.loop = loop;
    this.proxy = proxy;
    this.stats = stats;
    this.origin = origin;
    this.channels = channels;
    this.tls = tls;
    this.maxOpen = maxOpen;
    this.maxWaiting = maxOpen * 4;
    this.idleMillis = idleMillis;
  }

  /**
   * A connection for one exchange: a live idle one unless {@code fresh}, else a new one while
   * under the limit, else a place in line for up to {@code connectTimeoutMs}.
   */
  void acquire(boolean fresh, int connectTimeoutMs, Pending promise) {
    assert loop.inEventLoop();
    if (!fresh) {
      Channel ch;
      while ((ch = idle.pollFirst()) != null) {
        if (reusable(ch)) {
          lease(ch);
          promise.setSuccess(new Lease(ch, true));
          return;
        }
        ch.close();
      }
    }
    if (open < maxOpen) {
      connect(connectTimeoutMs, promise);
    } else if (waiting.size() < maxWaiting) {
      ScheduledFuture<?> timeout = loop.schedule(() -> giveUp(promise), connectTimeoutMs, TimeUnit.MILLISECONDS);
      waiting.addLast(new Waiter(promise, timeout, connectTimeoutMs));
      stats.waiting(1);
    } else {
      stats.refused();
      promise.tryFailure(new PoolExhaustedException());
    }
  }

  /**
   * Takes back a connection after a clean, complete exchange (RFC 9112 §9.3). It rests until the
   * loop's next task before it serves anyone: bytes the provider sent past the answer's end (a
   * Content-Length counted short, a second answer) were read with its last piece and are decoded
   * right after it, and must reach the {@link IdleConnectionGuard}, which closes the connection,
   * not the exchange of a call waiting for it, which would take them for its own answer. Such
   * bytes that form no whole message stay in the decoder instead: {@link #reusable} closes the
   * connection then.
   */
  void release(Channel ch) {
    release(ch, Long.MAX_VALUE);
  }

  /**
   * {@link #release(Channel)} after an answer whose server keeps an idle connection for a limited
   * time ({@link IdleConnectionGuard#maxRestMillis}): it is not lent again once that passed, and
   * not kept at all if it is zero.
   */
  void release(Channel ch, long maxRestMillis) {
    assert loop.inEventLoop();
    if (!ch.isActive()) {
      return; // its close listener already gave back the slot
    }
    if (maxRestMillis <= 0) {
      ch.close();
      return;
    }
    ch.config().setAutoRead(true);
    ch.pipeline().get(IdleConnectionGuard.class).rest(maxRestMillis);
    loop.execute(() -> rested(ch));
  }

  /** The connection rested through the read that ended its answer: to the first in line, or idle. */
  private void rested(Channel ch) {
    if (!ch.isActive()) {
      return; // the guard closed it, or the provider did: its close listener gave back the slot
    }
    if (!reusable(ch)) {
      ch.close(); // its close listener gives back the slot, and a waiter gets a new connection
      return;
    }
    Waiter next;
    while ((next = waiting.pollFirst()) != null) {
      stats.waiting(-1);
      next.timeout().cancel(false);
      if (next.promise().setUncancellable()) {
        lease(ch);
        next.promise().setSuccess(new Lease(ch, true));
        return;
      }
    }
    idle.addFirst(ch); // most recently used first: the others age out
  }

  /**
   * Whether {@code ch} may serve another exchange: open, its decoder between answers (bytes the
   * provider sent past an answer that form no whole message are held there, not seen by the
   * {@link IdleConnectionGuard}; see {@link ProviderCodec}), and not rested past the idle time its
   * server announced.
   */
  private static boolean reusable(Channel ch) {
    return ch.isActive() && ch.pipeline().get(ProviderCodec.class).betweenAnswers()
        && !ch.pipeline().get(IdleConnectionGuard.class).restedTooLong();
  }

  /** Closes every resting connection; for shutdown. */
  void closeIdle() {
    Channel ch;
    while ((ch = idle.pollFirst()) != null) {
      ch.close();
    }
  }

  int open() {
    return open;
  }

  /** Whether this origin's connections go through the egress proxy. */
  boolean proxied() {
    return proxy.isPresent();
  }

  /**
   * Why the connection asked for with {@code promise} is not there yet, for the log of an exchange
   * whose deadline came first: still connecting (or looking up the name), or, through a proxy,
   * connected to it and waiting for its answer to our CONNECT.
   */
  FailureReason stillConnecting(Pending promise) {
    if (proxy.isEmpty()) {
      return FailureReason.CONNECT_TIMEOUT;
    }
    Channel ch = promise.opening;
    return ch != null && ch.isActive() ? FailureReason.PROXY_TIMEOUT : FailureReason.PROXY_CONNECT_TIMEOUT;
  }

  /** The resting connections, most recently used first; for tests. */
  List<Channel> idleChannels() {
    return List.copyOf(idle);
  }

  private void connect(int connectTimeoutMs, Pending promise) {
    open++;
    stats.opened(1);
    Bootstrap bootstrap = new Bootstrap()
        .group(loop)
        .channelFactory(channels::get)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMs)
        .option(ChannelOption.TCP_NODELAY, true)
        .resolver(OffLoopResolver.GROUP)
        .handler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            proxy.ifPresent(p -> ch.pipeline().addLast(Tunnel.NAME, new Tunnel(p, connectTimeoutMs)));
            if (origin.tls() && proxy.isEmpty()) {
              ch.pipeline().addLast(TLS, UpstreamTls.newHandler(tls.get(), ch.alloc(), origin, connectTimeoutMs));
            }
            ch.pipeline()
                .addLast("http", new ProviderCodec())
                .addLast("idle", new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS))
                .addLast(IdleConnectionGuard.NAME, new IdleConnectionGuard());
          }
        });
    // Through a proxy the bootstrap looks up and connects to the proxy, never the origin: the
    // proxy resolves the origin's name (Parapet's own DNS may not see the internet's).
    ChannelFuture connected = proxy.isPresent()
        ? bootstrap.connect(proxy.get().host(), proxy.get().port())
        : bootstrap.connect(origin.host(), origin.port());
    Channel channel = connected.channel();
    channel.closeFuture().addListener(f -> closed(channel));
    promise.opening = channel;
    Promise<Channel> established = loop.newPromise();
    // CONNECT_TIMEOUT_MILLIS starts only once the host name is resolved: a lookup that hangs (an
    // unreachable DNS server) would hold this slot, and its call, for as long as it hangs. The same
    // deadline covers a proxy's answer to our CONNECT.
    ScheduledFuture<?> deadline = loop.schedule(() -> {
      if (!established.isDone()) {
        String why = "connection not established within " + connectTimeoutMs + " ms";
        promise.tryFailure(proxy.isPresent() && connected.isSuccess()
            ? new TunnelTimeoutException(why) : new ConnectTimeoutException(why));
        connected.cancel(false); // still resolving: the bootstrap closes the channel, and the lookup connects nothing
        channel.close(); // already connecting or tunnelling: uncancellable
      }
    }, connectTimeoutMs, TimeUnit.MILLISECONDS);
    connected.addListener(f -> {
      if (!f.isSuccess()) {
        established.tryFailure(f.cause());
        return;
      }
      HttpProxyHandler tunnel = channel.pipeline().get(HttpProxyHandler.class);
      if (tunnel == null) {
        established.trySuccess(channel);
      } else {
        tunnel.connectFuture().addListener(t -> {
          if (t.isSuccess()) {
            startTlsInTunnel(channel, connectTimeoutMs);
            established.trySuccess(channel);
          } else {
            established.tryFailure(t.cause()); // the handler closes the connection
          }
        });
      }
    });
    established.addListener(f -> {
      promise.opening = null;
      deadline.cancel(false);
      if (!f.isSuccess()) {
        promise.tryFailure(f.cause());
        channel.close();
      } else if (!promise.isCancelled()) {
        lease(channel);
        if (!promise.trySuccess(new Lease(channel, false))) {
          channel.close();
        }
      } else {
        channel.close();
      }
    });
  }

  /**
   * TLS to the origin through a tunnel starts once the proxy has opened it, never before. A
   * handshake begun at connect writes its first record while the proxy handler is still waiting
   * for the proxy's answer; Netty's {@code ProxyHandler} keeps such writes in a queue it empties
   * only when the tunnel succeeds or fails through it, and has no {@code handlerRemoved} that
   * releases them. CI once saw that record collected unreleased (last touched by the queue's
   * {@code add}). Started here, the handshake writes straight through an open tunnel: nothing is
   * ever queued there, and its timeout counts from the tunnel, not from the TCP connect.
   */
  private void startTlsInTunnel(Channel ch, int connectTimeoutMs) {
    if (origin.tls()) {
      ch.pipeline().addAfter(Tunnel.PROXY, TLS, UpstreamTls.newHandler(tls.get(), ch.alloc(), origin, connectTimeoutMs));
    }
  }

  /**
   * First on a proxied connection, until it connects: the bootstrap's connect arrives here with
   * the proxy's address, looked up off the loop ({@link OffLoopResolver}); it puts Netty's {@link
   * HttpProxyHandler} in its place, before TLS, and asks it for a tunnel to the origin by name
   * (an unresolved address: the CONNECT line names the host, RFC 9110 §9.3.6). TLS then runs
   * inside the tunnel, with SNI and host name verification against the origin, as when direct.
   */
  private final class Tunnel extends ChannelOutboundHandlerAdapter {
    static final String NAME = "tunnel";
    static final String PROXY = "proxy";
    private final EgressProxy proxy;
    private final int connectTimeoutMs;

    Tunnel(EgressProxy proxy, int connectTimeoutMs) {
      this.proxy = proxy;
      this.connectTimeoutMs = connectTimeoutMs;
    }

    @Override
    public void connect(ChannelHandlerContext ctx, SocketAddress proxyAddress, SocketAddress localAddress,
        ChannelPromise promise) {
      ctx.pipeline().addBefore(NAME, PROXY, proxy.newHandler(proxyAddress, connectTimeoutMs));
      ctx.connect(InetSocketAddress.createUnresolved(origin.host(), origin.port()), localAddress, promise);
      ctx.pipeline().remove(this);
    }
  }

  private void lease(Channel ch) {
    ch.pipeline().get(IdleConnectionGuard.class).leased(true);
  }

  private void closed(Channel ch) {
    open--;
    stats.opened(-1);
    idle.remove(ch);
    Waiter next;
    while (open < maxOpen && (next = waiting.pollFirst()) != null) {
      stats.waiting(-1);
      next.timeout().cancel(false);
      if (!next.promise().isDone()) {
        connect(next.connectTimeoutMs(), next.promise());
        return;
      }
    }
  }

  /**
   * Takes {@code promise} out of the line, refused ({@link PoolExhaustedException}): when its wait
   * timed out, or when its exchange's own deadline came first. False if it was not waiting (it has
   * a connection, or one is being opened for it).
   */
  boolean giveUp(Pending promise) {
    for (Iterator<Waiter> it = waiting.iterator(); it.hasNext(); ) {
      Waiter w = it.next();
      if (w.promise() == promise) {
        it.remove();
        stats.waiting(-1);
        stats.refused();
        w.timeout().cancel(false);
        promise.tryFailure(new PoolExhaustedException());
        return true;
      }
    }
    return false;
  }

  /** Through a proxy: connected to it, and its answer to our CONNECT did not come in time. */
  static final class TunnelTimeoutException extends ConnectTimeoutException {
    private static final long serialVersionUID = 1L;

    TunnelTimeoutException(String message) {
      super(message);
    }
  }

  /** The pool and its waiting line are full. */
  static final class PoolExhaustedException extends Exception {
    private static final long serialVersionUID = 1L;

    PoolExhaustedException() {
      super("connection pool exhausted", null, false, false);
    }
  }
}
