package dev.parapet.runtime.upstream;

import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.provider.EchoResponder;
import dev.parapet.runtime.provider.StreamChunk;
import dev.parapet.runtime.provider.Usage;
import dev.parapet.runtime.stream.SseResponse;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A streamed echo, written to the caller {@link #BATCH} payloads per loop task: an echo may have
 * up to {@code max_tokens_out} payloads, each checked by the observers, so the loop serves its
 * other connections between batches; and a caller that stops reading stops the echo (the
 * connection's writability, as for a provider's stream), so a long echo is never queued whole in
 * the outbound buffer.
 */
final class EchoStream implements Answer {
  /** Payloads checked, framed and flushed per loop task. */
  static final int BATCH = 64;
  private static final Logger LOG = LoggerFactory.getLogger(EchoStream.class);

  private final ProxiedCall call;
  private final List<StreamChunk> payloads;
  private final Optional<Usage> usage;
  private final Optional<String> model;
  private final SseResponse sse;
  private int next;
  private boolean waitingForWritable;

  EchoStream(ProxiedCall call, EchoResponder.Stream stream) {
    this.call = call;
    this.payloads = stream.payloads();
    this.usage = Optional.of(stream.usage());
    this.model = Optional.of(stream.model());
    this.sse = new SseResponse(call.ctx);
  }

  /** Lets the observers refuse before the head, else sends the head and the first batch. */
  void start() {
    Optional<ExchangeObserver.Veto> veto = call.observer.beforeAnswer(call.request, model);
    if (veto.isPresent()) {
      call.fail(veto.get().error(), veto.get().message());
      return;
    }
    call.attach(null, this);
    sse.start(call.stamp(new DefaultHttpHeaders()), call.request.keepAlive());
    writeBatch();
  }

  private void writeBatch() {
    if (call.completed()) {
      return; // the caller left between batches
    }
    try {
      int end = Math.min(payloads.size(), next + BATCH);
      while (next < end) {
        StreamChunk payload = payloads.get(next++);
        Optional<ExchangeObserver.Veto> veto = payload.isDone() ? call.observer.onStreamEnd(call.request)
            : call.observer.onStreamPayload(call.request, payload);
        if (veto.isPresent()) {
          ExchangeObserver.Veto v = veto.get();
          if (!payload.isDone()) {
            call.cutObservedStream(); // this payload is not written: what came before it is decided
          }
          call.complete(sse.fail(v.error(), v.message(), call.request.requestId()), 200, Optional.of(v.error()),
              usage, model);
          return;
        }
        sse.event(payload.json());
      }
    } catch (RuntimeException e) { // a policy's bug: told in the stream, which has begun
      LOG.error("route={} request_id={}: the echo could not be streamed ({})", call.request.route().name(),
          call.request.requestId(), e.getClass().getName());
      if (!payloads.get(next - 1).isDone()) {
        // What the caller received may end in a held match: decided on the payloads before the one
        // that failed, which is not written. (At [DONE] the observers were deciding the end already.)
        call.cutObservedStream();
      }
      call.complete(sse.fail(ParapetError.INTERNAL_ERROR, ProxiedCall.ANSWER_PROCESSING_FAILED,
          call.request.requestId()), 200, Optional.of(ParapetError.INTERNAL_ERROR), usage, model);
      return;
    }
    if (next == payloads.size()) {
      call.complete(sse.end(), 200, Optional.empty(), usage, model);
      return;
    }
    sse.flush();
    if (call.ctx.channel().isWritable()) {
      call.ctx.executor().execute(this::writeBatch);
    } else {
      waitingForWritable = true; // writabilityChanged goes on
    }
  }

  /** The caller left between batches: what it received may end in a held match, decided now. */
  @Override
  public void callerLeft() {
    call.endObservedStream();
  }

  @Override
  public void writabilityChanged(boolean writable) {
    if (writable && waitingForWritable) {
      waitingForWritable = false;
      writeBatch();
    }
  }

  @Override
  public Optional<Usage> usage() {
    return usage;
  }

  @Override
  public Optional<String> reportedModel() {
    return model;
  }

  @Override
  public void dispose() {
    sse.discard();
  }

  // An echo has no provider: nothing calls these.

  @Override
  public void onHead(HttpResponse head) {
    throw new IllegalStateException("an echo has no provider");
  }

  @Override
  public void onContent(ByteBuf content) {
    throw new IllegalStateException("an echo has no provider");
  }

  @Override
  public void onEnd() {
    throw new IllegalStateException("an echo has no provider");
  }

  @Override
  public void onFailure(FailureReason reason) {
    throw new IllegalStateException("an echo has no provider");
  }
}
