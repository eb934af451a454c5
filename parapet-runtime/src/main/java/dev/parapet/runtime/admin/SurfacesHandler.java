package dev.parapet.runtime.admin;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Role;
import dev.parapet.core.store.StoreException;
import dev.parapet.core.store.TelemetryStore;
import dev.parapet.runtime.endpoint.Endpoint;
import dev.parapet.runtime.http.Exchange;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.http.Refusals;
import dev.parapet.runtime.telemetry.DailyCaps;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read-only surfaces of SPEC §4 — {@code GET /_parapet/usage}, {@code /events}, {@code
 * /metrics} — behind HTTP basic auth of {@code users[]}. Sits after the bearer check (which lets
 * these paths past untouched) and the endpoint handler (which has already answered 404/405 for
 * other paths and methods). Nothing here changes anything.
 *
 * <p>In order: a client address past its failure limit is 429 {@code too_many_requests} with no
 * password checked; a missing or malformed {@code Authorization: Basic} header is 401 {@code
 * unauthorized} with {@code WWW-Authenticate: Basic realm="parapet"}; a login verified in the
 * last minute is taken from the cache; anything else is checked with Argon2id on the surfaces'
 * small bounded executor (full: 503 {@code unavailable}), unknown users costing the same as a
 * wrong password. A wrong login is 401 and counts against the client's address. A viewer asking
 * for events is 403 {@code forbidden}. The store reads and the scrape run on the same executor;
 * every answer hops back to the channel's event loop to be written, and the request completes
 * there with its {@link dev.parapet.runtime.RequestCompleted}.
 */
@Sharable
public final class SurfacesHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger("parapet.surfaces");
  static final String CHALLENGE = "Basic realm=\"parapet\"";
  static final int MAX_FAILURES_PER_MINUTE = 10;
  private static final String JSON = "application/json";

  private final PasswordCheck passwords;
  private final LoginCache logins;
  private final FailureLimit failures;
  private final UsageView usage;
  private final EventsView events;
  private final Supplier<String> scrape;
  private final String scrapeContentType;
  private final ExecutorService executor;

  SurfacesHandler(PasswordCheck passwords, LoginCache logins, FailureLimit failures,
      UsageView usage, EventsView events, Supplier<String> scrape, String scrapeContentType,
      ExecutorService executor) {
    this.passwords = passwords;
    this.logins = logins;
    this.failures = failures;
    this.usage = usage;
    this.events = events;
    this.scrape = scrape;
    this.scrapeContentType = scrapeContentType;
    this.executor = executor;
  }

  /**
   * The production handler: logins cached 60 s (at most 1,024), 10 failures per client address
   * per minute (at most 10,000 addresses tracked). Registers {@code
   * parapet_admin_password_checks_total}, the Argon2id runs so far.
   *
   * @param passwordHashes username to its Argon2id PHC string, from the blob
   * @param executor bounded, for Argon2id and store reads; owned by the caller
   */
  public static SurfacesHandler create(ParapetSpec spec, Map<String, String> passwordHashes,
      TelemetryStore store, DailyCaps caps, Supplier<String> scrape, String scrapeContentType,
      ExecutorService executor, MeterRegistry registry) {
    PasswordCheck passwords = new PasswordCheck(spec.users(), passwordHashes);
    FunctionCounter.builder("parapet.admin.password.checks", passwords, PasswordCheck::runs)
        .description("Argon2id password checks run for the read-only surfaces (cache misses)")
        .register(registry);
    return new SurfacesHandler(passwords,
        new LoginCache(TimeUnit.SECONDS.toNanos(60), 1024, System::nanoTime),
        new FailureLimit(MAX_FAILURES_PER_MINUTE, TimeUnit.MINUTES.toNanos(1), 10_000, System::nanoTime),
        new UsageView(store, caps), new EventsView(store), scrape, scrapeContentType, executor);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    Endpoint endpoint = Exchange.of(ctx.channel()).map(e -> Endpoint.classify(e.path())).orElse(Endpoint.UNKNOWN);
    if (!endpoint.readOnlySurface()) {
      ctx.fireChannelRead(msg);
      return;
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    String uri = request.uri();
    List<String> authorization = request.headers().getAll(HttpHeaderNames.AUTHORIZATION);
    request.release();
    InetAddress client = clientAddress(ctx.channel().remoteAddress());
    if (failures.blocked(client)) {
      Refusals.refuse(ctx, ParapetError.TOO_MANY_REQUESTS, "too many failed logins; try again later",
          keepAlive, r -> r.headers().set(HttpHeaderNames.RETRY_AFTER, "60"));
      return;
    }
    Optional<BasicCredentials> parsed = BasicCredentials.parse(authorization);
    if (parsed.isEmpty()) {
      if (!authorization.isEmpty()) {
        failures.failed(client);
      }
      unauthorized(ctx, keepAlive);
      return;
    }
    BasicCredentials credentials = parsed.get();
    Optional<Role> cached = logins.lookup(credentials.username(), credentials.password());
    if (cached.isPresent()) {
      credentials.close();
      offLoop(ctx, keepAlive, () -> answer(endpoint, cached.get(), uri));
      return;
    }
    offLoop(ctx, keepAlive, () -> {
      Optional<Role> role;
      try {
        role = passwords.verify(credentials.username(), credentials.password());
        role.ifPresent(r -> logins.remember(credentials.username(), credentials.password(), r));
      } finally {
        credentials.close();
      }
      if (role.isEmpty()) {
        failures.failed(client);
        return Answer.refused(ParapetError.UNAUTHORIZED, "wrong user name or password");
      }
      return answer(endpoint, role.get(), uri);
    });
  }

  /**
   * Runs {@code work} on the executor and writes its answer on the channel's event loop. Whatever
   * the work throws, an {@link Error} too (a {@code StackOverflowError} in a view, a class that
   * failed to load), the caller is answered 500: uncaught, it would end the executor's thread and
   * leave the request without an answer. The log names the type only (its message could quote the
   * request).
   */
  private void offLoop(ChannelHandlerContext ctx, boolean keepAlive, Supplier<Answer> work) {
    try {
      executor.execute(() -> {
        Answer a;
        try {
          a = work.get();
        } catch (RuntimeException | Error e) {
          LOG.warn("read-only surface failed ({})", e.getClass().getSimpleName());
          a = Answer.refused(ParapetError.INTERNAL_ERROR, "internal error");
        }
        Answer answer = a;
        try {
          ctx.executor().execute(() -> write(ctx, keepAlive, answer));
        } catch (RejectedExecutionException e) {
          // The event loop is shutting down: the connection goes with it.
        }
      });
    } catch (RejectedExecutionException e) {
      Refusals.refuse(ctx, ParapetError.SERVICE_UNAVAILABLE, "busy; try again shortly",
          keepAlive, r -> r.headers().set(HttpHeaderNames.RETRY_AFTER, "1"));
    }
  }

  /** The surface's body for an authenticated user; runs on the executor (store reads block). */
  private Answer answer(Endpoint endpoint, Role role, String uri) {
    if (endpoint == Endpoint.EVENTS && role != Role.ADMIN) {
      return Answer.refused(ParapetError.FORBIDDEN, "events are for admin users");
    }
    try {
      return switch (endpoint) {
        case USAGE -> Answer.ok(JSON, usage.render(QueryParameters.parse(uri, UsageView.PARAMS),
            LocalDate.now(ZoneOffset.UTC)));
        case EVENTS -> Answer.ok(JSON, events.render(QueryParameters.parse(uri, EventsView.PARAMS)));
        case METRICS -> {
          QueryParameters.parse(uri, java.util.Set.of());
          yield Answer.ok(scrapeContentType, scrape.get().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        default -> Answer.refused(ParapetError.NOT_FOUND, "no such endpoint");
      };
    } catch (BadParameter e) {
      return Answer.refused(ParapetError.INVALID_REQUEST, e.getMessage());
    } catch (StoreException e) {
      LOG.warn("read-only surface: store read failed ({})", e.getClass().getSimpleName());
      return Answer.refused(ParapetError.SERVICE_UNAVAILABLE, "the telemetry store cannot be read right now");
    }
  }

  private static void write(ChannelHandlerContext ctx, boolean keepAlive, Answer a) {
    if (a.refusal().isPresent()) {
      ParapetError error = a.refusal().get();
      if (error == ParapetError.UNAUTHORIZED) {
        unauthorized(ctx, keepAlive);
      } else {
        Refusals.refuse(ctx, error, a.message(), keepAlive);
      }
      return;
    }
    ByteBuf body = ctx.alloc().buffer(a.body().length).writeBytes(a.body());
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, a.contentType())
        .setInt(HttpHeaderNames.CONTENT_LENGTH, a.body().length)
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    HttpUtil.setKeepAlive(response, keepAlive);
    if (keepAlive) {
      ctx.writeAndFlush(response);
    } else {
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
    Refusals.complete(ctx, 200, Optional.empty());
  }

  private static void unauthorized(ChannelHandlerContext ctx, boolean keepAlive) {
    Refusals.refuse(ctx, ParapetError.UNAUTHORIZED, "basic authentication of a configured user required",
        keepAlive, r -> r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, CHALLENGE));
  }

  private static InetAddress clientAddress(SocketAddress remote) {
    if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
      return inet.getAddress();
    }
    return InetAddress.getLoopbackAddress(); // embedded channels and unix sockets: one bucket
  }
}
