package dev.parapet.runtime.route;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.PolicyThreads;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.endpoint.Endpoint;
import dev.parapet.runtime.http.Exchange;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.http.Refusals;
import dev.parapet.runtime.policy.PolicyRefusals;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
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
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The last front handler, after auth: turns an authenticated request into a {@link
 * GatewayRequest} for the policy handlers, or refuses it. The route comes from the path ({@code
 * /routes/{route}}) or from the body's {@code model} ({@code /v1/chat/completions}); it must
 * exist, be in the service's {@code allowed_routes} and belong to the service's tenant, else 403
 * {@code route_forbidden} — one identical answer for all three, so routes cannot be enumerated.
 * The body is then checked and normalised ({@link ChatBody}); a large one is parsed off the event
 * loop. Once the caller has named a route it may call, a refusal (400 {@code invalid_request},
 * 403 {@code model_not_allowed}) carries that route, so usage counts it there. {@code GET /v1/models} is answered
 * here: the routes this token may call, in OpenAI's list shape; so is {@code GET /v1/models/{model}},
 * one of them, or 404 {@code not_found} alike for a route that does not exist and one this token
 * may not call. The HTTP request is released here;
 * what goes on carries no buffer.
 */
@Sharable
public final class RouteHandler extends ChannelInboundHandlerAdapter {
  private static final String FORBIDDEN = "this service may not call this route";
  /** One answer whether the route is missing or not this service's (no enumeration). */
  private static final String NO_SUCH_MODEL = "no such model for this token (GET /v1/models lists its routes)";

  /** Bodies larger than this are parsed off the event loop. */
  static final int OFF_LOOP_BYTES = PolicyThreads.THRESHOLD;
  /** Test hook: runs on the policy thread before it parses a large body (to hold it there). */
  static volatile Runnable beforeOffLoopParseForTest;

  private final RouteAccess access;
  private final ChatBody chatBody;

  public RouteHandler(ParapetSpec spec, int maxBodyBytes) {
    this.access = new RouteAccess(spec);
    this.chatBody = new ChatBody(maxBodyBytes);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    Optional<Exchange> exchange = Exchange.of(ctx.channel());
    if (exchange.isEmpty() || exchange.get().service().isEmpty()) {
      // Only reachable if the pipeline is mis-assembled: never let an unauthenticated call through.
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      request.release();
      Refusals.refuse(ctx, ParapetError.INVALID_TOKEN, "missing, malformed or unknown bearer token", keepAlive);
      return;
    }
    Exchange ex = exchange.get();
    Service service = ex.service().get();
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    try {
      switch (Endpoint.classify(ex.path())) {
        case MODELS -> answerModels(ctx, keepAlive, g -> ModelList.write(g, access.permittedRoutes(service)));
        case MODEL -> {
          Optional<Route> route = access.permitted(service, Endpoint.modelSegment(ex.path()));
          if (route.isEmpty()) {
            Refusals.refuse(ctx, ParapetError.NOT_FOUND, NO_SUCH_MODEL, keepAlive);
          } else {
            answerModels(ctx, keepAlive, g -> ModelList.writeOne(g, route.get()));
          }
        }
        case ROUTE_CALL -> dispatch(ctx, ex, service, request, keepAlive,
            access.permitted(service, Endpoint.routeSegment(ex.path())), true);
        case CHAT_COMPLETIONS -> dispatchByModel(ctx, ex, service, request, keepAlive);
        default -> Refusals.refuse(ctx, ParapetError.NOT_FOUND, "no such endpoint", keepAlive);
      }
    } finally {
      request.release();
    }
  }

  private void dispatchByModel(
      ChannelHandlerContext ctx, Exchange ex, Service service, FullHttpRequest request, boolean keepAlive) {
    withBody(ctx, request, keepAlive,
        invalid -> Refusals.refuse(ctx, ParapetError.INVALID_REQUEST, invalid.getMessage(), keepAlive), body -> {
      String name;
      try {
        name = ChatBody.modelName(body);
      } catch (ChatBody.Invalid e) {
        Refusals.refuse(ctx, ParapetError.INVALID_REQUEST, e.getMessage(), keepAlive);
        return;
      }
      Optional<Route> route = access.permitted(service, name);
      if (route.isEmpty()) {
        Refusals.refuse(ctx, ParapetError.ROUTE_FORBIDDEN, FORBIDDEN, keepAlive);
        return;
      }
      finish(ctx, ex, service, route.get(), body, keepAlive, false);
    });
  }

  private void dispatch(
      ChannelHandlerContext ctx,
      Exchange ex,
      Service service,
      FullHttpRequest request,
      boolean keepAlive,
      Optional<Route> route,
      boolean modelMustMatch) {
    if (route.isEmpty()) {
      Refusals.refuse(ctx, ParapetError.ROUTE_FORBIDDEN, FORBIDDEN, keepAlive);
      return;
    }
    withBody(ctx, request, keepAlive,
        invalid -> refuse(ctx, ex, service, route.get(), JsonNodeFactory.instance.objectNode(), keepAlive,
            ParapetError.INVALID_REQUEST, invalid),
        body -> finish(ctx, ex, service, route.get(), body, keepAlive, modelMustMatch));
  }

  /** A body as read: the object, or why it was refused. */
  private record Parsed(ObjectNode body, ChatBody.Invalid invalid) {}

  private Parsed parse(ByteBuf content) {
    try {
      return new Parsed(chatBody.parse(content), null);
    } catch (ChatBody.Invalid e) {
      return new Parsed(null, e);
    }
  }

  /**
   * Parses the body, then hands the object to {@code next} on this loop, or what it is not to
   * {@code invalid}, which refuses it (400). A
   * body over {@link #OFF_LOOP_BYTES} is parsed on the {@link PolicyThreads} (4 MB of JSON is ~8 ms
   * of a loop; {@code PARAPET_MAX_BODY_BYTES} allows up to 256 MB): the connection waits (it reads
   * nothing until its request completes), the loop serves its other connections. A caller who
   * leaves meanwhile ends the request (499) and nothing goes on.
   */
  private void withBody(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive,
      Consumer<ChatBody.Invalid> invalid, Consumer<ObjectNode> next) {
    ByteBuf content = request.content();
    if (content.readableBytes() > OFF_LOOP_BYTES) {
      ByteBuf held = content.retainedDuplicate(); // the request itself is released on return
      boolean went = PolicyThreads.runWaiting(ctx, () -> {
        try {
          Runnable hook = beforeOffLoopParseForTest;
          if (hook != null) {
            hook.run();
          }
          return parse(held);
        } finally {
          held.release();
        }
      }, parsed -> proceed(parsed, invalid, next),
          () -> Refusals.complete(ctx, RequestCompleted.goneStatus(ctx.channel()),
              RequestCompleted.goneError(ctx.channel())), held::release);
      if (went) {
        return;
      }
      held.release(); // the pool refused it: parse here
    }
    proceed(parse(content), invalid, next);
  }

  private static void proceed(Parsed parsed, Consumer<ChatBody.Invalid> invalid, Consumer<ObjectNode> next) {
    if (parsed.invalid() != null) {
      invalid.accept(parsed.invalid());
    } else {
      next.accept(parsed.body());
    }
  }

  private void finish(
      ChannelHandlerContext ctx,
      Exchange ex,
      Service service,
      Route route,
      ObjectNode body,
      boolean keepAlive,
      boolean modelMustMatch) {
    boolean stream;
    try {
      stream = ChatBody.normalise(body, route, modelMustMatch);
    } catch (ChatBody.Invalid e) {
      refuse(ctx, ex, service, route, body, keepAlive,
          e.modelNotAllowed ? ParapetError.MODEL_NOT_ALLOWED : ParapetError.INVALID_REQUEST, e);
      return;
    }
    ctx.fireChannelRead(
        new GatewayRequest(ex.requestId(), service, route, body, stream, keepAlive, ex.startNanos()));
  }

  /**
   * Refuses a call of a route the caller may call (its body is not a chat request, or names
   * another model): the refusal carries the route, so that its telemetry row, event, metrics and
   * access line count it under that route and its tenant, as a policy's refusal is (group {@code -}
   * of {@code /_parapet/usage} is for requests without a route). Nothing goes on.
   */
  private static void refuse(ChannelHandlerContext ctx, Exchange ex, Service service, Route route, ObjectNode body,
      boolean keepAlive, ParapetError error, ChatBody.Invalid why) {
    PolicyRefusals.refuse(ctx, new GatewayRequest(ex.requestId(), service, route, body, false, keepAlive, ex.startNanos()),
        error, why.getMessage());
  }

  /** What {@link #answerModels} writes. */
  private interface ModelsBody {
    void write(JsonGenerator g) throws IOException;
  }

  private static void answerModels(ChannelHandlerContext ctx, boolean keepAlive, ModelsBody what) {
    ByteBuf body = ctx.alloc().buffer();
    try (var g = ModelList.JSON.createGenerator((java.io.OutputStream) new ByteBufOutputStream(body))) {
      what.write(g);
    } catch (IOException e) {
      body.release();
      throw new UncheckedIOException(e);
    }
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    HttpUtil.setKeepAlive(response, keepAlive);
    ctx.writeAndFlush(response);
    Refusals.complete(ctx, 200, Optional.empty());
  }
}
