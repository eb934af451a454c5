package dev.parapet.runtime.http1;

import dev.parapet.runtime.http.ErrorResponses;
import dev.parapet.runtime.http.Exchange;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.http.Refusals;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.util.ReferenceCountUtil;
import java.util.Optional;

/**
 * Collects a request body, after the keep-alive handler and before the in-flight gate, bounded by
 * {@code PARAPET_MAX_BODY_BYTES}. A body announced too large ({@code Content-Length}) or growing
 * too large (chunked) is answered 413 {@code request_too_large} in the SPEC shape and the
 * connection closed (RFC 9110 §15.5.14: the rest of the body is not parsed); that close lingers
 * ({@link LingeringClose}) so a caller still sending its body reads the 413 instead of a reset. {@code Expect:
 * 100-continue} is Netty's: 100 when the announced length fits, our 413 when it does not (RFC 9110
 * §10.1.1), 417 {@code expectation_failed} for expectations we do not know; both in the SPEC shape.
 */
public final class BoundedAggregator extends HttpObjectAggregator {
  private final int maxBytes;

  public BoundedAggregator(int maxBytes) {
    super(maxBytes, true);
    this.maxBytes = maxBytes;
  }

  private String tooLarge() {
    return "request body larger than " + maxBytes + " bytes";
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    Refusals.refuseAndClose(ctx, ParapetError.REQUEST_TOO_LARGE, tooLarge());
  }

  @Override
  protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
    Object response = super.newContinueResponse(start, maxContentLength, pipeline);
    if (!(response instanceof HttpResponse http)
        || http.status().codeClass() != HttpStatusClass.CLIENT_ERROR) {
      return response;
    }
    // A refusal: this request ends here (the aggregator closes the connection after the write).
    // Netty's canned answers are replaced so the body has the SPEC shape and the request id.
    // Netty answers 413 (a 100-continue body announced too large) or 417 (any other expectation).
    boolean tooLarge = http.status().equals(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE);
    ReferenceCountUtil.release(response);
    String requestId = Exchange.of(pipeline.channel()).map(Exchange::requestId).orElse(null);
    ParapetError error = tooLarge ? ParapetError.REQUEST_TOO_LARGE : ParapetError.EXPECTATION_FAILED;
    FullHttpResponse answer = ErrorResponses.create(pipeline.channel().alloc(), error,
        tooLarge ? tooLarge() : "Expect: only 100-continue is supported", requestId);
    answer.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ChannelHandlerContext ctx = pipeline.context(this);
    if (ctx != null) {
      Refusals.complete(ctx, error.status().code(), Optional.of(error));
    }
    return answer;
  }
}
