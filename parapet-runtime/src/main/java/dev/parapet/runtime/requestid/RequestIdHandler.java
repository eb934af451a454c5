package dev.parapet.runtime.requestid;

import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.http.ErrorResponses;
import dev.parapet.runtime.http.Exchange;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * Names every request, right after the codec's flow control so that it sees each decoded head —
 * the failed ones too — before anything can answer it: a fresh 128-bit random id (32 hex digits)
 * starts the connection's {@link Exchange}, and every response written through here carries it as
 * {@code x-parapet-request-id} (and as {@code x-request-id}, where OpenAI SDKs look), including
 * the codec-error answers of the sanity handler. The
 * exchange ends after the request's {@link RequestCompleted} has passed through the rest of the
 * pipeline (the access log still reads it).
 */
public final class RequestIdHandler extends ChannelDuplexHandler {
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  // One DRBG per thread, seeded once: no lock shared between event loops, no syscall per id.
  private static final ThreadLocal<SecureRandom> RANDOM =
      ThreadLocal.withInitial(
          () -> {
            try {
              return SecureRandom.getInstance("DRBG");
            } catch (NoSuchAlgorithmException e) {
              return new SecureRandom();
            }
          });

  /** A new request id: 16 random bytes as 32 lower-case hex digits. */
  public static String newId() {
    byte[] bytes = new byte[16];
    RANDOM.get().nextBytes(bytes);
    char[] out = new char[32];
    for (int i = 0; i < 16; i++) {
      out[2 * i] = HEX[(bytes[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX[bytes[i] & 0xf];
    }
    return new String(out);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpRequest request) {
      Exchange.begin(
          ctx.channel(), new Exchange(newId(), System.nanoTime(), request.method(), request.uri()));
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse response) {
      String id = response.headers().get(ErrorResponses.REQUEST_ID_HEADER);
      if (id == null) {
        id = Exchange.of(ctx.channel()).map(Exchange::requestId).orElseGet(RequestIdHandler::newId);
        response.headers().set(ErrorResponses.REQUEST_ID_HEADER, id);
      }
      response.headers().set(OPENAI_REQUEST_ID_HEADER, id);
    }
    ctx.write(msg, promise);
  }

  /**
   * The same id under the name OpenAI's SDKs read into a response's and an error's request id
   * ({@code _request_id}, {@code requestID}), so a caller's SDK logs the id Parapet's access log
   * and telemetry row carry. The provider's own id reaches the caller as {@code x-upstream-request-id}.
   */
  static final String OPENAI_REQUEST_ID_HEADER = "x-request-id";

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    ctx.fireUserEventTriggered(evt);
    if (evt instanceof RequestCompleted completed) {
      Exchange.end(ctx.channel(), completed.requestId());
    }
  }
}
