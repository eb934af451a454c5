package dev.parapet.runtime.endpoint;

import dev.parapet.runtime.http.Exchange;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.http.Refusals;
import dev.parapet.runtime.http1.EarlyAnswerDrain;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Decides from the request's head, before its body is read, what the path names. It sits after the
 * bearer check, which only gateway endpoints meet: a gateway endpoint reaches here authenticated,
 * anything else without credentials looked at. Unknown paths are 404 {@code not_found} (whatever
 * the token: nothing here tells a route apart); a known path with another method
 * is 405 {@code method_not_allowed} with {@code Allow} (RFC 9110 §15.5.6); {@code GET
 * /_parapet/health} is answered here, without authentication (503 {@code draining} once the
 * gateway is stopping); the read-only surfaces go on to
 * their basic-auth handler (404 when none is wired); gateway endpoints, already authenticated, go
 * on to the body and the route.
 * A body behind a head answered here is dropped unread ({@link EarlyAnswerDrain}). Stateless and
 * shared by every connection.
 */
@Sharable
public final class EndpointHandler extends ChannelInboundHandlerAdapter {
  /**
   * The 404 of OpenAI's Responses API ({@code /v1/responses} and below), which the Vercel AI SDK's
   * default model and newer OpenAI samples call: it names what Parapet serves instead. A constant:
   * nothing of the request is echoed.
   */
  static final String RESPONSES_API_NOT_SERVED =
      "no such endpoint: the Responses API is not served; use POST /v1/chat/completions";
  private static final String RESPONSES_API = "/v1/responses";
  private final byte[] healthBody;
  private final byte[] drainingBody;
  private final BooleanSupplier draining;
  private final boolean surfacesServed;
  private final int maxBodyBytes;

  /**
   * @param surfacesServed whether a surfaces handler follows this one for usage, events and
   *     metrics (they go on to it, past this handler's method check)
   * @param maxBodyBytes the body limit: a body announced within it is dropped after an answer
   *     here and the connection kept; a longer one closes it
   * @param draining whether the gateway is stopping: health then answers 503 {@code draining}, so
   *     that a load balancer's check on a kept-alive connection takes this instance out
   */
  public EndpointHandler(String configSha256, boolean surfacesServed, int maxBodyBytes, BooleanSupplier draining) {
    this.surfacesServed = surfacesServed;
    this.maxBodyBytes = maxBodyBytes;
    this.draining = draining;
    this.healthBody = healthBody("ok", configSha256);
    this.drainingBody = healthBody("draining", configSha256);
  }

  private static byte[] healthBody(String status, String configSha256) {
    return ("{\"status\":\"" + status + "\",\"config_sha256\":\"" + configSha256 + "\"}")
        .getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof HttpRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    Optional<Exchange> exchange = Exchange.of(ctx.channel());
    String path = exchange.map(Exchange::path).orElse("");
    Endpoint endpoint = Endpoint.classify(path);
    boolean keepAlive = EarlyAnswerDrain.keepAliveAfterHeadAnswer(request, maxBodyBytes);
    if (endpoint == Endpoint.UNKNOWN) {
      ReferenceCountUtil.release(request);
      Refusals.refuse(ctx, ParapetError.NOT_FOUND, notFound(path), keepAlive);
      return;
    }
    if (!endpoint.method().equals(request.method())) {
      ReferenceCountUtil.release(request);
      Refusals.refuse(ctx, ParapetError.METHOD_NOT_ALLOWED, "use " + endpoint.method() + " here",
          keepAlive, r -> r.headers().set(HttpHeaderNames.ALLOW, endpoint.method().name()));
      return;
    }
    switch (endpoint) {
      case HEALTH -> {
        ReferenceCountUtil.release(request);
        answerHealth(ctx, keepAlive);
      }
      case PARAPET_OTHER, USAGE, EVENTS, METRICS -> {
        if (surfacesServed && endpoint.readOnlySurface()) {
          ctx.fireChannelRead(request);
          return;
        }
        ReferenceCountUtil.release(request);
        Refusals.refuse(ctx, ParapetError.NOT_FOUND, "no such endpoint", keepAlive);
      }
      default -> ctx.fireChannelRead(request);
    }
  }

  private static String notFound(String path) {
    boolean responsesApi = path.startsWith(RESPONSES_API)
        && (path.length() == RESPONSES_API.length() || path.charAt(RESPONSES_API.length()) == '/');
    return responsesApi ? RESPONSES_API_NOT_SERVED : "no such endpoint";
  }

  /** 200 {@code ok}, or 503 {@code draining} once the gateway is stopping (its DrainHandler closes the connection). */
  private void answerHealth(ChannelHandlerContext ctx, boolean keepAlive) {
    boolean stopping = draining.getAsBoolean();
    byte[] bytes = stopping ? drainingBody : healthBody;
    HttpResponseStatus status = stopping ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.OK;
    ByteBuf body = ctx.alloc().buffer(bytes.length).writeBytes(bytes);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    HttpUtil.setKeepAlive(response, keepAlive);
    ctx.writeAndFlush(response);
    Refusals.complete(ctx, status.code(), Optional.empty());
  }
}
