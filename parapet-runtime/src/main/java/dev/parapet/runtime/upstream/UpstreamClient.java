package dev.parapet.runtime.upstream;

import dev.parapet.runtime.provider.UpstreamCall;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * The HTTP/1.1 client Parapet calls providers with. One per process, shared by every connection
 * handler; it keeps one bounded pool of keep-alive connections per event loop and per origin
 * (scheme, host, port), and every upstream connection lives on the event loop of the caller it
 * serves (Netty's HexDumpProxy), so a call never hops threads and pool state needs no locks.
 *
 * <p>TLS: JDK trust anchors plus an optional extra CA file ({@code PARAPET_UPSTREAM_CA_FILE}, a
 * PEM bundle), SNI, and host name verification always on.
 *
 * <p>Egress: optionally through a forward proxy ({@link EgressProxy}: {@code PARAPET_UPSTREAM_PROXY},
 * {@code PARAPET_UPSTREAM_NO_PROXY}) for the https origins it {@linkplain EgressProxy#carries carries}.
 */
public final class UpstreamClient implements AutoCloseable {
  public static final int DEFAULT_MAX_PER_ORIGIN = 64;
  /** Below the idle timeouts providers and their load balancers use (60 s and up). */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);

  private final Supplier<SslContext> tls;
  private final Optional<EgressProxy> proxy;
  private final int maxPerOrigin;
  private final long idleMillis;
  private final ConcurrentMap<EventLoop, Map<Origin, OriginPool>> pools = new ConcurrentHashMap<>();
  private final PoolStats stats = new PoolStats();

  public UpstreamClient(SslContext tls, int maxPerOrigin, Duration idleTimeout) {
    this(constant(Objects.requireNonNull(tls, "tls")), Optional.empty(), maxPerOrigin, idleTimeout);
  }

  /** A client whose https origins go through {@code proxy} where it {@linkplain EgressProxy#carries carries} them. */
  public UpstreamClient(SslContext tls, Optional<EgressProxy> proxy, int maxPerOrigin, Duration idleTimeout) {
    this(constant(Objects.requireNonNull(tls, "tls")), proxy, maxPerOrigin, idleTimeout);
  }

  private UpstreamClient(Supplier<SslContext> tls, Optional<EgressProxy> proxy, int maxPerOrigin, Duration idleTimeout) {
    this.tls = tls;
    this.proxy = Objects.requireNonNull(proxy, "proxy");
    if (maxPerOrigin < 1) {
      throw new IllegalArgumentException("maxPerOrigin: " + maxPerOrigin + " (expected: >= 1)");
    }
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: > 0)");
    }
    this.maxPerOrigin = maxPerOrigin;
    this.idleMillis = idleTimeout.toMillis();
  }

  /**
   * A client trusting the JDK anchors and, if given, the CA certificates in {@code caFile} (PEM).
   * The file is read and checked now ({@link IllegalStateException} naming it when unusable); the
   * TLS context itself is built on first need: the first https connection, or {@link #warmTls}.
   */
  public static UpstreamClient withExtraCa(Optional<Path> caFile, int maxPerOrigin, Duration idleTimeout) {
    return withExtraCa(caFile, Optional.empty(), maxPerOrigin, idleTimeout);
  }

  /** {@link #withExtraCa(Optional, int, Duration)}, its https origins through {@code proxy} where it carries them. */
  public static UpstreamClient withExtraCa(Optional<Path> caFile, Optional<EgressProxy> proxy, int maxPerOrigin,
      Duration idleTimeout) {
    UpstreamTls.Lazy lazy = UpstreamTls.lazy(caFile);
    return new UpstreamClient(lazy::get, proxy, maxPerOrigin, idleTimeout);
  }

  /** Whether calls to {@code baseUrl} go through the egress proxy (http(s) URLs with a host). */
  public boolean proxies(URI baseUrl) {
    return proxy.isPresent() && proxy.get().carries(Origin.of(baseUrl));
  }

  /**
   * Builds the TLS context now if it is not built yet (off the event loops, after the port opens,
   * so the first https call does not pay for it; a connection that races this waits for it).
   */
  public void warmTls() {
    tls.get();
  }

  private static Supplier<SslContext> constant(SslContext context) {
    return () -> context;
  }

  /**
   * Starts one exchange for {@code caller}'s request on {@code caller}'s event loop; must be called
   * from that loop. {@code listener} hears back on the same loop.
   *
   * @param whole the answer is read whole before the caller sees any of it (not a stream): it must
   *     end within {@code timeoutMs}, not only start
   * @throws IllegalArgumentException when the call's URI is not http(s) with a host
   */
  UpstreamExchange send(Channel caller, UpstreamCall call, int timeoutMs, boolean whole, ExchangeListener listener) {
    EventLoop loop = caller.eventLoop();
    Origin origin = Origin.of(call.uri());
    UpstreamExchange exchange =
        new UpstreamExchange(pool(loop, origin, caller), origin, call, timeoutMs, whole, listener, loop);
    exchange.start();
    return exchange;
  }

  /** The connection pools' figures per origin, for the metrics. */
  public PoolStats poolStats() {
    return stats;
  }

  OriginPool pool(EventLoop loop, Origin origin, Channel caller) {
    assert loop.inEventLoop();
    return pools.computeIfAbsent(loop, l -> new HashMap<>())
        .computeIfAbsent(origin, o -> new OriginPool(loop, o, sameTransportAs(caller), tls,
            proxy.filter(p -> p.carries(o)), maxPerOrigin, idleMillis, stats.of(o)));
  }

  /**
   * A socket channel of the transport the caller's event loop drives (epoll, NIO, ...): a loop
   * only runs channels of its own I/O handler.
   */
  private static Supplier<? extends Channel> sameTransportAs(Channel caller) {
    if (caller instanceof SocketChannel) {
      // The server's child class (NioSocketChannel, EpollSocketChannel, ...) is also its client.
      ReflectiveChannelFactory<? extends Channel> factory = new ReflectiveChannelFactory<>(caller.getClass());
      return factory::newChannel;
    }
    return NioSocketChannel::new;
  }

  /** Closes every resting connection. In-flight exchanges finish or fail on their own. */
  @Override
  public void close() {
    pools.forEach((loop, byOrigin) -> {
      // A loop already shutting down closes its channels itself (the gateway stops its event
      // loops before closing resources); scheduling onto it would only be rejected.
      if (!loop.isShuttingDown()) {
        loop.execute(() -> byOrigin.values().forEach(OriginPool::closeIdle));
      }
    });
  }
}
