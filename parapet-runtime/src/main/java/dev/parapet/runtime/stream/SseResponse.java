package dev.parapet.runtime.stream;

import dev.parapet.runtime.http.ErrorResponses;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.provider.SseWriter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;

/**
 * The caller's side of one streamed answer: a {@code 200 text/event-stream} head sent with
 * chunked transfer coding (RFC 9112 §7.1), then one {@code data: <payload>\n\n} frame per event
 * ({@link SseWriter#frameInto}, WHATWG HTML §9.2), then the last chunk. Every write goes through the terminal handler's
 * context, so it passes the whole outbound pipeline. Events framed between two flushes leave as
 * one chunk; nothing here holds more than that: whoever writes events calls {@link #flush()} once
 * per piece of upstream body, watches the channel's writability for backpressure, and calls
 * {@link #discard()} when the call ends without {@link #end()}.
 */
public final class SseResponse {
  private final ChannelHandlerContext ctx;
  private boolean started;
  private boolean ended;
  // Events framed since the last flush: they leave as one chunk, one write, one pass through the
  // outbound pipeline, instead of one each.
  private ByteBuf pending;

  public SseResponse(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  /** Whether the head went out: from then on failures can only be told as an SSE event. */
  public boolean started() {
    return started;
  }

  public boolean ended() {
    return ended;
  }

  /**
   * Writes (does not flush) the head. {@code extra} holds headers already vetted for the caller
   * (request id, safe upstream headers); framing headers are ours.
   */
  public void start(HttpHeaders extra, boolean keepAlive) {
    if (started) {
      throw new IllegalStateException("stream head already sent");
    }
    started = true;
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers().add(extra);
    head.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_EVENT_STREAM)
        .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE)
        .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED)
        .remove(HttpHeaderNames.CONTENT_LENGTH);
    if (!keepAlive) {
      head.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    ctx.write(head);
  }

  /**
   * Frames one event carrying {@code payload}; it is written with the others framed since the
   * last flush, at the next {@link #flush()} (or {@link #end()}), which callers do once per piece
   * of upstream body, so no event waits for a later one.
   */
  public void event(String payload) {
    event(payload, null);
  }

  /** {@link #event(String)}, the payload's bytes passed through {@code filter} ({@link SseWriter.Filter}). */
  public void event(String payload, SseWriter.Filter filter) {
    checkOpen();
    if (pending == null) {
      pending = ctx.alloc().buffer(Math.max(256, SseWriter.maxFrameBytes(payload)));
    }
    SseWriter.frameInto(pending, payload, filter);
  }

  /** Writes the events framed so far as one chunk and flushes. */
  public void flush() {
    writePending();
    ctx.flush();
  }

  private void writePending() {
    ByteBuf events = pending;
    if (events != null) {
      pending = null;
      ctx.write(new DefaultHttpContent(events));
    }
  }

  /** Ends the stream cleanly: the pending events and the last chunk, flushed. */
  public ChannelFuture end() {
    checkOpen();
    ended = true;
    writePending();
    return ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
  }

  /** Drops events framed but never written (the call ended another way: the caller left). */
  public void discard() {
    ByteBuf events = pending;
    if (events != null) {
      pending = null;
      events.release();
    }
  }

  /**
   * Ends a started stream that could not finish: one error event in the refusal shape of SPEC §4,
   * then {@code data: [DONE]}, so OpenAI SDKs stop reading and surface the error.
   */
  public ChannelFuture fail(ParapetError error, String message, String requestId) {
    checkOpen();
    ByteBuf json = ErrorResponses.errorJson(ctx.alloc(), error, message, requestId);
    try {
      event(json.toString(StandardCharsets.UTF_8));
    } finally {
      json.release();
    }
    event(SseWriter.DONE);
    return end();
  }

  /** Closes the caller's connection once {@code last} is written, when it is not kept alive. */
  public static void closeUnlessKeptAlive(ChannelFuture last, boolean keepAlive) {
    if (!keepAlive) {
      last.addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void checkOpen() {
    if (!started || ended) {
      throw new IllegalStateException(started ? "stream already ended" : "stream head not sent");
    }
  }

}
