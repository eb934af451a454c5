package dev.parapet.runtime;

import dev.parapet.core.store.TelemetryStore;
import dev.parapet.runtime.boot.BootException;
import dev.parapet.runtime.boot.Settings;
import dev.parapet.runtime.flow.DrainHandler;
import dev.parapet.runtime.limits.ConnectionLimitHandler;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening gateway: one server socket, the {@link GatewayInitializer} pipeline on every
 * connection. {@link #start()} binds and returns the port; {@link #close()} drains: health turns
 * 503 {@code draining}, idle keep-alive connections close and every answer closes its connection,
 * the listener stays open for {@code PARAPET_SHUTDOWN_DELAY_MS} (default 0) then stops
 * accepting, wait (up to {@code PARAPET_SHUTDOWN_GRACE_MS}) until every request begun (its head
 * in, its body perhaps still arriving) has completed and its answer has left for the caller's
 * socket, then close the remaining connections and the event loops. Epoll when available, else
 * NIO; Netty's default pooled allocator.
 */
public final class Gateway implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("parapet.gateway");

  private final Settings settings;
  private final FrontConfig front;
  private final Stages stages;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean draining;
  private final ConnectionLimitHandler connectionLimit;
  private final ChannelGroup connections = new DefaultChannelGroup("parapet", GlobalEventExecutor.INSTANCE);

  private EventLoopGroup bossGroup;
  private EventLoopGroup workerGroup;
  private Channel server;
  private volatile GatewayInitializer initializer;

  /**
   * @param front what the front of the pipeline needs from the opened blob
   * @param stages the policy handlers and the terminal handler behind the front, and what to close
   *     after the drain
   */
  public Gateway(Settings settings, FrontConfig front, Stages stages) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.front = Objects.requireNonNull(front, "front");
    this.stages = Objects.requireNonNull(stages, "stages");
    this.connectionLimit = new ConnectionLimitHandler(settings.maxConnections());
  }

  /** Request bodies held now, gateway-wide (0 before {@link #start}). */
  public long bufferedBodyBytes() {
    GatewayInitializer i = initializer;
    return i == null ? 0 : i.bodyBudget().usedBytes();
  }

  /** Requests waiting for room in the body budget now. */
  public int requestsWaitingForBodyRoom() {
    GatewayInitializer i = initializer;
    return i == null ? 0 : i.bodyBudget().waiting();
  }

  /** Binds and returns the port (the real one when {@code PARAPET_PORT} is 0). */
  public synchronized int start() throws BootException {
    if (server != null) {
      throw new IllegalStateException("already started");
    }
    Transport transport = Transport.best();
    IoHandlerFactory io = transport.ioHandlerFactory();
    bossGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("parapet-accept"), io);
    workerGroup =
        new MultiThreadIoEventLoopGroup(settings.workerThreads(), new DefaultThreadFactory("parapet-io"), io);
    GatewayInitializer initializer =
        new GatewayInitializer(settings, front, connectionLimit, inFlight, () -> draining, stages);
    this.initializer = initializer;
    ServerBootstrap b =
        new ServerBootstrap()
            .group(bossGroup, workerGroup)
            .channel(transport.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 << 10, 128 << 10))
            .childHandler(new ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                connections.add(ch); // closed at the end of the drain
                initializer.initChannel(ch);
              }
            });
    try {
      server = b.bind(new InetSocketAddress(settings.bind(), settings.port())).sync().channel();
    } catch (Exception e) {
      shutdownGroups();
      throw new BootException("cannot listen on " + settings.bind() + ":" + settings.port() + ": "
          + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
    }
    int port = ((InetSocketAddress) server.localAddress()).getPort();
    LOG.info("listening on {}:{} ({})", settings.bind(), port, transport.name());
    stages.probes().forEach(probe -> probe.accept(this));
    startWarmUps(stages.warmUps());
    return port;
  }

  /**
   * Runs the stages' warm-ups on one daemon thread, after the port is open so they never delay it.
   * They are lazy initialisations that are safe to race: a call arriving first waits or does the
   * work itself. A failure is logged and otherwise ignored; the work fails again where it is needed.
   */
  private static void startWarmUps(List<Runnable> warmUps) {
    if (warmUps.isEmpty()) {
      return;
    }
    Thread t = new Thread(() -> {
      for (Runnable r : warmUps) {
        try {
          r.run();
        } catch (RuntimeException | LinkageError e) {
          LOG.warn("warm-up failed ({}); left to the first call that needs it", e.getClass().getSimpleName());
        }
      }
    }, "parapet-warmup");
    t.setDaemon(true);
    t.start();
  }

  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Dispatched requests not yet completed, over all connections. */
  public int inFlightRequests() {
    return inFlight.get();
  }

  public int openConnections() {
    return connectionLimit.open();
  }

  /** Connections closed at once for being over {@code PARAPET_MAX_CONNECTIONS}, since start. */
  public long refusedConnections() {
    return connectionLimit.refused();
  }

  /** Graceful: stop accepting, drain in-flight requests within the grace period, close. */
  @Override
  public void close() {
    shutdown();
  }

  /**
   * {@link #close}, and what it lost: the ledger items and rows the telemetry store could not
   * write before it closed (0 after a clean close, and when already closed). A drain cut short by
   * the grace period is not counted: the requests it cuts still complete, and are settled and
   * written, before the store closes.
   */
  public long shutdown() {
    if (!closed.compareAndSet(false, true)) {
      return 0;
    }
    if (server != null) {
      draining = true; // health answers 503 draining, every answer closes its connection
      connections.forEach(DrainHandler::closeIfIdle);
      if (settings.shutdownDelayMs() > 0) {
        LOG.info("draining: still accepting for {} ms (PARAPET_SHUTDOWN_DELAY_MS)", settings.shutdownDelayMs());
        pause(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.shutdownDelayMs()), () -> false);
      }
      server.close().awaitUninterruptibly();
      pause(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.shutdownGraceMs()), this::drained);
      if (!drained()) {
        LOG.warn("shutdown grace period over: closing {} request(s) still in flight ({} begun),"
            + " {} byte(s) of answers unsent", inFlight.get(), requestsBegun(), unsentBytes());
      }
      connections.forEach(DrainHandler::cut); // what they cut ends as 503 shutdown, not as 499
      connections.close().awaitUninterruptibly();
    }
    shutdownGroups();
    List<AutoCloseable> resources = stages.resources();
    long unwritten = 0;
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        LOG.warn("closing {} failed ({})", resources.get(i).getClass().getSimpleName(), e.getClass().getSimpleName());
      }
      if (resources.get(i) instanceof TelemetryStore store) {
        unwritten += store.unwrittenAtClose();
      }
    }
    LOG.info("stopped");
    return unwritten;
  }

  /** Waits until {@code done} or {@code deadline} (a {@link System#nanoTime} value), interrupt included. */
  private static void pause(long deadline, java.util.function.BooleanSupplier done) {
    while (!done.getAsBoolean() && System.nanoTime() - deadline < 0) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * No request in flight or begun, and no answer byte still queued: a request completes once its
   * last byte is handed to the channel, and a slow reader may not have taken it yet; closing then
   * would discard what is queued.
   */
  private boolean drained() {
    return inFlight.get() == 0 && requestsBegun() == 0 && unsentBytes() == 0;
  }

  /** Connections with a request begun (its head in) and not completed, dispatched or not. */
  private int requestsBegun() {
    int begun = 0;
    for (Channel ch : connections) {
      begun += DrainHandler.midRequest(ch) ? 1 : 0;
    }
    return begun;
  }

  /** Answer bytes written to the connections but not yet taken by the callers' sockets. */
  private long unsentBytes() {
    long unsent = 0;
    for (Channel ch : connections) {
      ChannelOutboundBuffer out = ch.unsafe().outboundBuffer(); // null once closed
      unsent += out == null ? 0 : out.totalPendingWriteBytes();
    }
    return unsent;
  }

  private void shutdownGroups() {
    if (bossGroup != null) {
      bossGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
    if (workerGroup != null) {
      workerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }
  }
}
