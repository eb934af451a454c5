package dev.parapet.runtime.route;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.endpoint.Endpoint;
import dev.parapet.runtime.http.Exchange;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.http.Refusals;
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

/**
 * The last front handler, after auth: turns an authenticated request into a {@link
 * GatewayRequest} for the policy handlers, or refuses it. The route comes from the path ({@code
 * /routes/{route}}) or from the body's {@code model} ({@code /v1/chat/completions}); it must
 * exist, be in the service's {@code allowed_routes} and belong to the service's tenant, else 403
 * {@code route_forbidden} — one identical answer for all three, so routes cannot be enumerated.
 * The body is then checked and normalised ({@link ChatBody}). {@code GET /v1/models} is answered
 * here: the routes this token may call, in OpenAI's list shape. The HTTP request is released here;
 * what goes on carries no buffer.
 */
@Sharable
public final class RouteHandler extends ChannelInboundHandlerAdapter {
  private static final String FORBIDDEN = "this service may not call this route";

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
        case MODELS -> answerModels(ctx, service, keepAlive);
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
    ObjectNode body;
    String name;
    try {
      body = chatBody.parse(request.content());
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
    ObjectNode body;
    try {
      body = chatBody.parse(request.content());
    } catch (ChatBody.Invalid e) {
      Refusals.refuse(ctx, ParapetError.INVALID_REQUEST, e.getMessage(), keepAlive);
      return;
    }
    finish(ctx, ex, service, route.get(), body, keepAlive, modelMustMatch);
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
      ParapetError error = e.modelNotAllowed ? ParapetError.MODEL_NOT_ALLOWED : ParapetError.INVALID_REQUEST;
      Refusals.refuse(ctx, error, e.getMessage(), keepAlive);
      return;
    }
    ctx.fireChannelRead(
        new GatewayRequest(ex.requestId(), service, route, body, stream, keepAlive, ex.startNanos()));
  }

  private void answerModels(ChannelHandlerContext ctx, Service service, boolean keepAlive) {
    ByteBuf body = ctx.alloc().buffer();
    try (var g = ModelList.JSON.createGenerator((java.io.OutputStream) new ByteBufOutputStream(body))) {
      ModelList.write(g, access.permittedRoutes(service));
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
