package dev.parapet.runtime;

import dev.parapet.runtime.accesslog.AccessLogHandler;
import dev.parapet.runtime.auth.BearerAuthHandler;
import dev.parapet.runtime.boot.Settings;
import dev.parapet.runtime.endpoint.EndpointHandler;
import dev.parapet.runtime.failure.UnhandledFailureHandler;
import dev.parapet.runtime.flow.AnswerBacklog;
import dev.parapet.runtime.flow.DrainHandler;
import dev.parapet.runtime.flow.HangUpWatch;
import dev.parapet.runtime.flow.InFlightGate;
import dev.parapet.runtime.http1.BoundedAggregator;
import dev.parapet.runtime.http1.EarlyAnswerDrain;
import dev.parapet.runtime.http1.LingeringClose;
import dev.parapet.runtime.http1.Http10Responses;
import dev.parapet.runtime.http1.RequestSanityHandler;
import dev.parapet.runtime.http1.StrictHttp1Codec;
import dev.parapet.runtime.limits.BodyRateHandler;
import dev.parapet.runtime.limits.BodyBudget;
import dev.parapet.runtime.limits.BodyBudgetHandler;
import dev.parapet.runtime.limits.ConnectionLimitHandler;
import dev.parapet.runtime.limits.IdleCloseHandler;
import dev.parapet.runtime.requestid.RequestIdHandler;
import dev.parapet.runtime.route.RouteHandler;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Every caller connection's pipeline, in the order a request meets it:
 *
 * <ol>
 *   <li><b>limits</b> — the lingering close, connection cap, keep-alive idle timeout, the answer
 *       backlog (no reading while the caller does not take our answers);
 *   <li><b>http1</b> — the hang-up watch (NIO only: a caller who leaves mid-call), strict codec
 *       (with the request-head deadline), one-message-per-read flow control, the lingering
 *       close's arming, request id, access log, recorders (telemetry rows, metrics), framing sanity,
 *       keep-alive (and the HTTP/1.0 callers' framing), drain, body rate and deadline, the drain of bodies behind heads already answered;
 *   <li><b>identity</b>, on the head before any body is read — bearer-token auth of the gateway
 *       endpoints (401 whatever the method), then endpoint classification (404/405, health);
 *   <li><b>body</b> — the gateway-wide body budget (a request that does not fit waits unread),
 *       bounded aggregation (and 100 Continue, only now), the one-request-at-a-time gate, the
 *       read-only surfaces (basic auth of users[]: usage, events, metrics);
 *   <li><b>route</b> — route resolution and body normalisation into a {@link GatewayRequest};
 *   <li><b>policy</b> — redaction, token limit, budget hold, in that order ({@code policy.PolicyStages});
 *   <li><b>upstream</b> — the terminal handler that answers and fires {@link RequestCompleted};
 *       after it only the last-resort failure handler (close, log the type, release strays).
 * </ol>
 *
 * <p>Why this order: the request id and the access log come right after the codec's flow control,
 * ahead of the sanity handler, so that even a request refused for its framing has an id on its
 * answer and a line in the log. Flow control sits directly after the codec so that a pipelined
 * request waits there, whole or in parts, until the one before it completes: no handler ever sees
 * two requests at once, and nothing can answer out of order. The in-flight gate owns the
 * connection's autoRead; the terminal handler must fire {@link RequestCompleted} once per request,
 * after its last write, and must not turn autoRead back on itself.
 */
public final class GatewayInitializer extends ChannelInitializer<Channel> {
  private final Settings settings;
  private final FrontConfig front;
  private final AtomicInteger inFlight;
  private final List<Supplier<ChannelHandler>> policy;
  private final DrainHandler drain;
  private final BooleanSupplier draining;
  private final Supplier<ChannelHandler> terminal;
  private final List<Supplier<ChannelHandler>> recorders;
  private final Optional<Supplier<ChannelHandler>> surfaces;

  // Stateless handlers, shared by every connection.
  private final ConnectionLimitHandler connectionLimit;
  private final IdleCloseHandler idleClose = new IdleCloseHandler();
  private final AccessLogHandler accessLog = new AccessLogHandler();
  private final EndpointHandler endpoints;
  private final BearerAuthHandler auth;
  private final RouteHandler routes;
  private final UnhandledFailureHandler unhandled = new UnhandledFailureHandler();
  /** Request bodies held at once, across every connection of this gateway. */
  private final BodyBudget bodyBudget;

  /**
   * @param inFlight gateway-wide count of dispatched, unfinished requests
   * @param draining whether the gateway is shutting down (answers then close their connection)
   * @param policy handler factories for the policy group, in order (empty for now)
   * @param terminal the last handler: consumes {@link GatewayRequest}s, answers, fires {@link
   *     RequestCompleted}
   */
  public GatewayInitializer(
      Settings settings,
      FrontConfig front,
      ConnectionLimitHandler connectionLimit,
      AtomicInteger inFlight,
      BooleanSupplier draining,
      List<Supplier<ChannelHandler>> policy,
      Supplier<ChannelHandler> terminal) {
    this(settings, front, connectionLimit, inFlight, draining, new Stages(policy, terminal, List.of()));
  }

  /**
   * @param stages policy handlers, terminal, recorders and read-only surfaces behind the front
   */
  public GatewayInitializer(
      Settings settings,
      FrontConfig front,
      ConnectionLimitHandler connectionLimit,
      AtomicInteger inFlight,
      BooleanSupplier draining,
      Stages stages) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.front = Objects.requireNonNull(front, "front");
    this.connectionLimit = Objects.requireNonNull(connectionLimit, "connectionLimit");
    this.inFlight = Objects.requireNonNull(inFlight, "inFlight");
    this.drain = new DrainHandler(draining);
    this.draining = draining;
    this.policy = stages.policy();
    this.terminal = stages.terminal();
    this.recorders = stages.recorders();
    this.surfaces = stages.surfaces();
    this.endpoints = new EndpointHandler(front.configSha256(), surfaces.isPresent(), settings.maxBodyBytes(), draining);
    this.auth = new BearerAuthHandler(
        front.spec().services(), front.serviceTokenDigests(), front.tokenMatcher(), settings.maxBodyBytes());
    this.routes = new RouteHandler(front.spec(), settings.maxBodyBytes());
    this.bodyBudget = new BodyBudget(Math.max(settings.maxBufferedBodyBytes(), settings.maxBodyBytes()));
  }

  /** This gateway's body budget (tests and operators' probes: what is held, who waits). */
  public BodyBudget bodyBudget() {
    return bodyBudget;
  }

  @Override
  protected void initChannel(Channel ch) {
    ChannelPipeline p = ch.pipeline();
    // Epoll sees a hang-up with reading paused (EPOLLRDHUP); NIO needs the watch's pending read.
    Optional<HangUpWatch> hangUps = ch instanceof NioSocketChannel ? Optional.of(new HangUpWatch()) : Optional.empty();
    addLimits(p);
    addHttp1(p, hangUps);
    addIdentity(p);
    addBody(p, hangUps);
    addRoute(p);
    addPolicy(p);
    addUpstream(p);
  }

  private void addLimits(ChannelPipeline p) {
    // First: once a refusal lingers, the caller's bytes stop here, unparsed.
    p.addLast("lingering-close", new LingeringClose(draining));
    p.addLast("connection-limit", connectionLimit);
    p.addLast("idle", new IdleStateHandler(settings.idleTimeoutMs(), 0, 0, TimeUnit.MILLISECONDS));
    p.addLast("idle-close", idleClose);
    // Answers the caller does not take stop the reading of its next requests.
    p.addLast("answer-backlog", new AnswerBacklog(settings.idleTimeoutMs()));
  }

  private void addHttp1(ChannelPipeline p, Optional<HangUpWatch> hangUps) {
    // On NIO, while a request is in flight (reading paused), one read stays pending here for a hang-up.
    hangUps.ifPresent(w -> p.addLast("hang-up-watch", w));
    p.addLast("codec", new StrictHttp1Codec(Duration.ofMillis(settings.headTimeoutMs())));
    // Decoded messages of a pipelined request wait here while the one before is answered.
    p.addLast("flow-control", new FlowControlHandler());
    // Sees each request, and each answer with its final Connection header: arms the lingering close.
    p.addLast("lingering-close-arming", new LingeringClose.Arming());
    p.addLast("request-id", new RequestIdHandler());
    p.addLast("access-log", accessLog);
    // Telemetry rows and metrics: they only watch RequestCompleted, which starts at the head.
    for (int i = 0; i < recorders.size(); i++) {
      p.addLast("recorder-" + i, recorders.get(i).get());
    }
    p.addLast("sanity", new RequestSanityHandler());
    p.addLast("keep-alive", new HttpServerKeepAliveHandler());
    p.addLast("http10", new Http10Responses());
    p.addLast("drain", drain);
    p.addLast("body-rate", new BodyRateHandler(settings.minBodyBytesPerSecond(), settings.bodyTimeoutMs(),
        settings.bodyRateGraceMs()));
    p.addLast("early-answer-drain", new EarlyAnswerDrain());
  }

  /**
   * On the head, before any body is read: the bearer token of a gateway endpoint, then what the
   * path names and with which method. The token comes first so that a caller without one gets 401
   * whatever the method (SPEC §4: checked before anything else), and learns nothing of the
   * endpoint's method from a 405. A caller refused here never has a body collected or a 100
   * Continue sent.
   */
  private void addIdentity(ChannelPipeline p) {
    p.addLast("auth", auth);
    p.addLast("endpoint", endpoints);
  }

  private void addBody(ChannelPipeline p, Optional<HangUpWatch> hangUps) {
    p.addLast("body-budget", new BodyBudgetHandler(bodyBudget, settings.maxBodyBytes()));
    p.addLast("aggregator", new BoundedAggregator(settings.maxBodyBytes()));
    p.addLast("in-flight-gate", new InFlightGate(inFlight, hangUps));
    // The read-only surfaces use basic auth of users[]; the bearer check let them past.
    surfaces.ifPresent(s -> p.addLast("surfaces", s.get()));
  }

  private void addRoute(ChannelPipeline p) {
    p.addLast("route", routes);
  }

  /** Redaction, token limit, budget hold: each consumes and forwards GatewayRequest. */
  private void addPolicy(ChannelPipeline p) {
    for (int i = 0; i < policy.size(); i++) {
      p.addLast("policy-" + i, policy.get(i).get());
    }
  }

  private void addUpstream(ChannelPipeline p) {
    p.addLast("upstream", terminal.get());
    p.addLast("unhandled", unhandled);
  }
}
