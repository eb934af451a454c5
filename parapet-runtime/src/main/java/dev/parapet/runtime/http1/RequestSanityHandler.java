package dev.parapet.runtime.http1;

import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.http.Refusals;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/**
 * Sits right after the codec (and the request-id handler, so its answers carry an id): turns a
 * decoder failure into 414 (request line too long), 431 (header section too large, or more than
 * {@value #MAX_HEADER_FIELDS} fields) or 400, and
 * refuses heads whose framing is ambiguous even though Netty parsed them — more than one {@code
 * Content-Length}, {@code Content-Length} with {@code Transfer-Encoding}, a transfer coding other
 * than {@code chunked} (RFC 9112 §6.1, §6.3; request smuggling), a missing or repeated {@code Host}
 * in HTTP/1.1 (RFC 9112 §3.2), an HTTP version other than 1.0 or 1.1, a field name dressed up as
 * one of the two framing fields ({@code Transfer_Encoding}, {@code Content---Length}: a proxy that
 * normalises names would frame the body where we see none), and body framing on a GET or HEAD,
 * which no endpoint reads and proxies disagree about (RFC 9110 §9.3.1 allows the refusal; the
 * cases of aws/http-desync-guardian's "ambiguous" tier). Every refusal here closes the
 * connection: once framing is in doubt, nothing after it on the wire can be trusted (RFC 9112
 * §11.2). After a refusal every further message is released unread.
 */
public final class RequestSanityHandler extends ChannelInboundHandlerAdapter {
  /** Like hardened nginx/Envoy edges: a caller of a JSON API needs a handful, not hundreds. */
  public static final int MAX_HEADER_FIELDS = 100;

  private boolean refused;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (refused) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpObject http && http.decoderResult().isFailure()) {
      Throwable cause = http.decoderResult().cause();
      boolean inBody = !(msg instanceof HttpRequest);
      ReferenceCountUtil.release(msg);
      refuse(ctx, cause, inBody);
      return;
    }
    if (msg instanceof HttpRequest request) {
      if (request.headers().size() > MAX_HEADER_FIELDS) {
        ReferenceCountUtil.release(msg);
        refused = true;
        Refusals.refuseAndClose(ctx, ParapetError.HEADERS_TOO_LARGE,
            "more than " + MAX_HEADER_FIELDS + " header fields");
        return;
      }
      String problem = framingProblem(request);
      if (problem != null) {
        ReferenceCountUtil.release(msg);
        refused = true;
        Refusals.refuseAndClose(ctx, ParapetError.INVALID_REQUEST, problem);
        return;
      }
    }
    ctx.fireChannelRead(msg);
  }

  /** @param inBody the failure is in a chunked body (a chunk-size line, the trailer section), not the head */
  private void refuse(ChannelHandlerContext ctx, Throwable cause, boolean inBody) {
    refused = true;
    // Netty's messages may quote the caller's bytes: answer with ours.
    if (inBody && cause instanceof TooLongHttpLineException) {
      // Netty holds a chunk-size line (with its extensions) to the request-line limit: no URI is too long.
      Refusals.refuseAndClose(ctx, ParapetError.INVALID_REQUEST, "chunk-size line longer than "
          + StrictHttp1Codec.MAX_REQUEST_LINE + " bytes");
    } else if (inBody && cause instanceof TooLongHttpHeaderException) {
      Refusals.refuseAndClose(ctx, ParapetError.HEADERS_TOO_LARGE, "trailer section larger than "
          + StrictHttp1Codec.MAX_HEADER_BYTES + " bytes");
    } else if (cause instanceof TooLongHttpLineException) {
      Refusals.refuseAndClose(ctx, ParapetError.URI_TOO_LONG, "request line longer than "
          + StrictHttp1Codec.MAX_REQUEST_LINE + " bytes");
    } else if (cause instanceof TooLongHttpHeaderException) {
      Refusals.refuseAndClose(ctx, ParapetError.HEADERS_TOO_LARGE, "header section larger than "
          + StrictHttp1Codec.MAX_HEADER_BYTES + " bytes");
    } else if (cause instanceof HeadFramingException) {
      Refusals.refuseAndClose(ctx, ParapetError.INVALID_REQUEST, cause.getMessage());
    } else {
      Refusals.refuseAndClose(ctx, ParapetError.INVALID_REQUEST, "malformed HTTP request");
    }
  }

  /** Null when the head frames its body one way only; else why not. */
  static String framingProblem(HttpRequest request) {
    HttpVersion version = request.protocolVersion();
    if (!version.equals(HttpVersion.HTTP_1_1) && !version.equals(HttpVersion.HTTP_1_0)) {
      return "unsupported HTTP version";
    }
    HttpHeaders headers = request.headers();
    for (String name : headers.names()) {
      if (disguisedFramingField(name)) {
        return "a header name disguised as Content-Length or Transfer-Encoding";
      }
    }
    List<String> lengths = headers.getAll(HttpHeaderNames.CONTENT_LENGTH);
    List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
    boolean bodiless = request.method().equals(HttpMethod.GET) || request.method().equals(HttpMethod.HEAD);
    if (bodiless && (!codings.isEmpty() || lengths.stream().anyMatch(l -> !l.trim().equals("0")))) {
      return "a body on a GET or HEAD request";
    }
    if (lengths.size() > 1) {
      return "more than one Content-Length";
    }
    if (!codings.isEmpty() && !lengths.isEmpty()) {
      return "both Content-Length and Transfer-Encoding";
    }
    if (codings.size() > 1 || (codings.size() == 1 && !"chunked".equalsIgnoreCase(codings.get(0)))) {
      return "Transfer-Encoding other than chunked";
    }
    if (!codings.isEmpty() && version.equals(HttpVersion.HTTP_1_0)) {
      return "Transfer-Encoding in an HTTP/1.0 request";
    }
    if (version.equals(HttpVersion.HTTP_1_1) && headers.getAll(HttpHeaderNames.HOST).size() != 1) {
      return "HTTP/1.1 requires exactly one Host header";
    }
    return null;
  }

  /** Letters of the name, lowercased, spell a framing field although the name is not one. */
  static boolean disguisedFramingField(String name) {
    if (name.equalsIgnoreCase("content-length") || name.equalsIgnoreCase("transfer-encoding")) {
      return false;
    }
    StringBuilder letters = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        letters.append(Character.toLowerCase(c));
      }
    }
    String l = letters.toString();
    return l.equals("contentlength") || l.equals("transferencoding");
  }
}
