package dev.parapet.runtime.http1;

import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Queue;

/**
 * The HTTP/1.1 codec, first in the pipeline after the connection limits. It is Netty's {@code
 * HttpServerCodec} pair (request decoder, response encoder sharing a queue of request methods so
 * an answer to {@code HEAD} carries no body) with a stricter decoder in front: {@link
 * HeadCheckingDecoder} sees each request head whole before Netty's parser does, which is the only
 * place where an obs-fold or an oddly spelled {@code Transfer-Encoding} is still visible (Netty
 * unfolds and trims them, RFC 9112 §5.2 allows that, we refuse instead) and where a head that
 * arrives too slowly can be timed.
 *
 * <p>Netty's own limits: request line 4096 bytes (414), header section 16384 bytes (431), strict
 * CRLF line endings, no repeated {@code Content-Length}, and RFC 9112 §6.1 transfer-coding rules
 * ({@code Content-Length} together with {@code Transfer-Encoding} is an error, not a
 * normalisation). What the decoder flags, the sanity handler right after it answers.
 */
public final class StrictHttp1Codec
    extends CombinedChannelDuplexHandler<HeadCheckingDecoder, StrictHttp1Codec.MethodAwareEncoder> {
  public static final int MAX_REQUEST_LINE = 4096;
  public static final int MAX_HEADER_BYTES = 16384;

  public StrictHttp1Codec(Duration headTimeout) {
    Queue<HttpMethod> methods = new ArrayDeque<>();
    HttpDecoderConfig config =
        new HttpDecoderConfig()
            .setMaxInitialLineLength(MAX_REQUEST_LINE)
            .setMaxHeaderSize(MAX_HEADER_BYTES)
            .setStrictLineParsing(true)
            .setAllowDuplicateContentLengths(false)
            .setValidateHeaders(true)
            .setUseRfc9112TransferEncoding(true);
    init(
        new HeadCheckingDecoder(config, MAX_REQUEST_LINE, MAX_HEADER_BYTES, headTimeout, methods),
        new MethodAwareEncoder(methods));
  }

  /** Netty's response encoder, told which request each final response answers (RFC 9110 §9.3.2). */
  static final class MethodAwareEncoder extends HttpResponseEncoder {
    private final Queue<HttpMethod> methods;

    MethodAwareEncoder(Queue<HttpMethod> methods) {
      this.methods = methods;
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpResponse msg) {
      if (msg.status().codeClass() != HttpStatusClass.INFORMATIONAL
          && HttpMethod.HEAD.equals(methods.poll())) {
        return true;
      }
      return super.isContentAlwaysEmpty(msg);
    }
  }
}
