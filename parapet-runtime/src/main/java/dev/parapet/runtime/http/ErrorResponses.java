package dev.parapet.runtime.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The refusal body of SPEC §4, {@code {"error":{"type":"parapet_error","code":…,"message":…,
 * "request_id":…}}}: the shape OpenAI SDKs already surface. Messages are ours, never a caller's
 * or a provider's bytes, so nothing reflected can smuggle a header or a secret.
 */
public final class ErrorResponses {
  public static final String REQUEST_ID_HEADER = "x-parapet-request-id";
  /**
   * Read by the OpenAI SDKs (Python and Node alike) before their automatic retries, which
   * otherwise repeat every 408, 409, 429 and 5xx twice.
   */
  public static final String SHOULD_RETRY_HEADER = "x-should-retry";
  private static final JsonFactory JSON = new JsonFactory();

  private ErrorResponses() {}

  /** A complete JSON error response; the caller decides keep-alive and writes it. */
  public static FullHttpResponse create(
      ByteBufAllocator alloc, ParapetError error, String message, String requestId) {
    ByteBuf body = errorJson(alloc, error, message, requestId);
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, error.status(), body);
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    if (requestId != null) {
      response.headers().set(REQUEST_ID_HEADER, requestId);
    }
    if (error == ParapetError.MODEL_DRIFT) {
      // The provider answered (and billed) as another model than the pinned one; the SDK's
      // retries would buy two more answers refused the same way.
      response.headers().set(SHOULD_RETRY_HEADER, "false");
    }
    return response;
  }

  /** The error object alone, as JSON bytes; also the payload of an SSE error event. */
  public static ByteBuf errorJson(
      ByteBufAllocator alloc, ParapetError error, String message, String requestId) {
    ByteBuf buf = alloc.buffer(160 + message.length());
    try (JsonGenerator g = JSON.createGenerator((java.io.OutputStream) new ByteBufOutputStream(buf))) {
      g.writeStartObject();
      g.writeObjectFieldStart("error");
      g.writeStringField("type", "parapet_error");
      g.writeStringField("code", error.code());
      g.writeStringField("message", message);
      if (requestId != null) {
        g.writeStringField("request_id", requestId);
      }
      g.writeEndObject();
      g.writeEndObject();
    } catch (IOException e) {
      buf.release();
      throw new UncheckedIOException(e);
    }
    return buf;
  }
}
