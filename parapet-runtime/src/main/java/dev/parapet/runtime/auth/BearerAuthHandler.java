package dev.parapet.runtime.auth;

import dev.parapet.core.config.Service;
import dev.parapet.core.seal.TokenDigest;
import dev.parapet.runtime.endpoint.Endpoint;
import dev.parapet.runtime.http.Exchange;
import dev.parapet.runtime.http1.EarlyAnswerDrain;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.http.Refusals;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Identity, from the request's head: first of the identity group, ahead of the endpoint handler's
 * method check (a gateway path without a valid token is 401 whatever its method: SPEC §4 checks the
 * token before anything else), before the body is read (so a caller without a token never has a
 * body collected, nor a {@code 100 Continue}). Exactly one {@code
 * Authorization: Bearer <token>} header (scheme case-insensitive, RFC 9110 §11.1; token 1..512
 * visible ASCII characters, {@link TokenDigest#isPresentable}, the rule the build seals by) whose token matches a service's stored digest. The token is compared
 * with every service's digest, without stopping at a match, so the time taken does not tell which
 * service (or whether any) matched. Anything else is 401 {@code invalid_token} with {@code
 * WWW-Authenticate: Bearer} (RFC 9110 §11.6.1, RFC 6750 §3), before route, body or policy are
 * looked at; the body behind a refused head is dropped unread ({@link EarlyAnswerDrain}). Requests
 * for other than the gateway endpoints (health, the read-only surfaces with their own basic auth,
 * unknown paths) go past untouched, to the endpoint handler.
 * On success the service is recorded on the {@link Exchange}. The token is never kept.
 */
@Sharable
public final class BearerAuthHandler extends ChannelInboundHandlerAdapter {
  private static final String SCHEME = "bearer";

  private final List<Credential> credentials;
  private final TokenMatcher matcher;
  private final int maxBodyBytes;

  private record Credential(Service service, String digest) {}

  /**
   * @param services every service of the spec
   * @param digests service label to its stored token digest
   * @param maxBodyBytes the body limit: a body announced within it is dropped after a refusal and
   *     the connection kept; a longer one closes it
   */
  public BearerAuthHandler(
      List<Service> services, Map<String, String> digests, TokenMatcher matcher, int maxBodyBytes) {
    this.credentials =
        services.stream()
            .filter(s -> digests.containsKey(s.label()))
            .map(s -> new Credential(s, digests.get(s.label())))
            .toList();
    this.matcher = Objects.requireNonNull(matcher, "matcher");
    this.maxBodyBytes = maxBodyBytes;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    Optional<Exchange> exchange = Exchange.of(ctx.channel());
    if (!(msg instanceof HttpRequest request)
        || !Endpoint.classify(exchange.map(Exchange::path).orElse("")).gateway()) {
      ctx.fireChannelRead(msg);
      return;
    }
    Service service = authenticate(request.headers().getAll(HttpHeaderNames.AUTHORIZATION));
    if (service == null) {
      boolean keepAlive = EarlyAnswerDrain.keepAliveAfterHeadAnswer(request, maxBodyBytes);
      ReferenceCountUtil.release(request);
      Refusals.refuse(ctx, ParapetError.INVALID_TOKEN, "missing, malformed or unknown bearer token",
          keepAlive, r -> r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"parapet\""));
      return;
    }
    exchange.ifPresent(e -> e.authenticated(service));
    ctx.fireChannelRead(request);
  }

  /** The service the single bearer credential belongs to, or null. */
  Service authenticate(List<String> authorization) {
    if (authorization.size() != 1) {
      return null;
    }
    byte[] token = tokenBytes(authorization.get(0));
    if (token == null) {
      return null;
    }
    try {
      Service found = null;
      for (Credential c : credentials) {
        boolean match = matcher.matches(token, c.digest());
        if (match && found == null) {
          found = c.service();
        }
      }
      return found;
    } finally {
      Arrays.fill(token, (byte) 0);
    }
  }

  /** The token of {@code Bearer <token>}, or null when the value has another shape. */
  static byte[] tokenBytes(String value) {
    int space = value.indexOf(' ');
    if (space != SCHEME.length() || !value.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
      return null;
    }
    int start = space;
    while (start < value.length() && value.charAt(start) == ' ') {
      start++; // RFC 9110 §11.4: 1*SP between scheme and credentials
    }
    String token = value.substring(start);
    return TokenDigest.isPresentable(token) ? token.getBytes(StandardCharsets.US_ASCII) : null;
  }
}
