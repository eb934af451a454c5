package dev.parapet.runtime.upstream;

import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.provider.ProviderAdapter;
import dev.parapet.runtime.provider.ProviderProtocolException;
import dev.parapet.runtime.provider.SseEvent;
import dev.parapet.runtime.provider.SseParser;
import dev.parapet.runtime.provider.StreamChunk;
import dev.parapet.runtime.provider.StreamTranslator;
import dev.parapet.runtime.provider.Usage;
import dev.parapet.runtime.stream.SseResponse;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A provider's SSE answer relayed event by event: upstream bytes → {@link SseParser} → the
 * adapter's {@link StreamTranslator} → one {@code data:} frame per payload, flushed once per
 * piece of upstream body (so after each event that arrives alone), never the whole answer held. The caller's head waits for the first translated
 * payload so the drift lock can still refuse with a plain 502 (SPEC §4: checked before any byte
 * reaches the caller, streaming too).
 *
 * <p>Backpressure: when the caller's connection stops being writable (its outbound buffer passed
 * the high water mark) we stop reading the provider, and resume when it drains, so a slow reader
 * holds at most about one water mark plus one upstream read in our memory.
 *
 * <p>Once the head is out, a failure can only be told in the stream: one {@code upstream_error}
 * event, then {@code data: [DONE]}, and the upstream connection is closed.
 */
final class StreamedAnswer implements Answer {
  private final ProxiedCall call;
  private final ProviderAdapter adapter;
  private final SseParser parser = new SseParser();
  private final StreamTranslator translator;
  private boolean unflushed;
  private final SseResponse sse;
  private BufferedAnswer refusal;
  private HttpHeaders headers;

  StreamedAnswer(ProxiedCall call, ProviderAdapter adapter, StreamTranslator translator) {
    this.call = call;
    this.adapter = adapter;
    this.translator = translator;
    this.sse = new SseResponse(call.ctx);
  }

  @Override
  public void onHead(HttpResponse head) {
    call.releaseBody(); // the provider answered: the prompt is not needed again
    if (head.status().codeClass() != HttpStatusClass.SUCCESS) {
      refusal = new BufferedAnswer(call, adapter);
      refusal.onHead(head);
      return;
    }
    String type = head.headers().get(HttpHeaderNames.CONTENT_TYPE, "").toLowerCase(Locale.ROOT);
    if (!type.startsWith("text/event-stream")) {
      call.abortUpstream();
      call.fail(UpstreamFailure.PROTOCOL);
      return;
    }
    headers = call.stamp(CallerHeaders.from(head.headers(), false, call.providerKey));
  }

  @Override
  public void onContent(ByteBuf content) {
    if (refusal != null) {
      refusal.onContent(content);
      return;
    }
    if (call.completed()) {
      return; // after [DONE]: the rest of the provider's body is drained, not relayed
    }
    try {
      parser.feed(content, this::onEvent);
    } catch (ProviderProtocolException e) { // an event above the parser's bound
      failMidStream(UpstreamFailure.PROTOCOL);
      return;
    }
    if (call.completed()) {
      return; // whatever ended the call flushed
    }
    if (translator.finished()) {
      // The caller has everything once [DONE] is out; it need not wait for the provider's last
      // chunk. The exchange still runs to its end and pools the connection if that end is clean.
      call.resumeUpstream();
      end(sse.end(), null); // flushes the events before it too
      return;
    }
    if (unflushed) {
      // Once per piece of upstream body, not per event: every event in it arrived at the same
      // moment, so none waits, and a burst of events costs one write syscall, not one each.
      unflushed = false;
      sse.flush();
    }
    if (!call.ctx.channel().isWritable()) {
      call.pauseUpstream();
    }
  }

  private void onEvent(SseEvent event) {
    if (call.completed()) {
      return;
    }
    List<StreamChunk> payloads;
    boolean wrote = false;
    try {
      payloads = translator.onEvent(event);
    } catch (ProviderProtocolException e) {
      failMidStream(UpstreamFailure.PROTOCOL);
      return;
    }
    for (StreamChunk payload : payloads) {
      if (!sse.started() && !start()) {
        return;
      }
      if (!payload.isDone()) {
        Optional<ExchangeObserver.Veto> veto = call.observer.onStreamPayload(call.request, payload);
        if (veto.isPresent()) {
          call.abortUpstream();
          end(sse.fail(veto.get().error(), veto.get().message(), call.request.requestId()), veto.get().error());
          return;
        }
      }
      sse.event(payload.json());
      wrote = true;
    }
    if (wrote) {
      unflushed = true; // flushed at the end of this piece of upstream body (onContent)
    }
  }

  /** Sends the head unless the drift lock vetoes; false when the call ended instead. */
  private boolean start() {
    Optional<ExchangeObserver.Veto> veto = call.observer.beforeAnswer(call.request, translator.reportedModel());
    if (veto.isPresent()) {
      call.abortUpstream();
      call.fail(veto.get().error(), veto.get().message());
      return false;
    }
    sse.start(headers, call.request.keepAlive());
    return true;
  }

  @Override
  public void onEnd() {
    if (refusal != null) {
      refusal.onEnd();
    } else if (call.completed()) {
      return;
    } else if (translator.finished()) {
      if (!sse.started() && !start()) {
        return;
      }
      end(sse.end(), null);
    } else {
      failMidStream(UpstreamFailure.RESET);
    }
  }

  @Override
  public void onFailure(UpstreamFailure failure) {
    if (refusal != null) {
      refusal.onFailure(failure);
    } else if (call.completed()) {
      return;
    } else if (sse.started() && translator.finished()) {
      end(sse.end(), null); // everything the caller needs arrived; only the connection broke
    } else {
      failMidStream(failure);
    }
  }

  private void failMidStream(UpstreamFailure failure) {
    call.abortUpstream();
    if (!sse.started()) {
      call.fail(failure);
      return;
    }
    // In the stream every provider failure reads as upstream_error (SPEC §4); the completion
    // event keeps the precise kind (a gap timeout stays upstream_timeout for telemetry).
    call.complete(sse.fail(ParapetError.UPSTREAM_ERROR, failure.message(), call.request.requestId()),
        200, Optional.of(failure.error()), translator.usage(), translator.reportedModel());
  }

  private void end(ChannelFuture last, ParapetError error) {
    call.complete(last, 200, Optional.ofNullable(error), translator.usage(), translator.reportedModel());
  }

  @Override
  public void writabilityChanged(boolean writable) {
    if (writable) {
      call.resumeUpstream();
    }
  }

  @Override
  public Optional<Usage> usage() {
    return refusal != null ? refusal.usage() : translator.usage();
  }

  @Override
  public Optional<String> reportedModel() {
    return refusal != null ? refusal.reportedModel() : translator.reportedModel();
  }

  @Override
  public void dispose() {
    sse.discard();
    if (refusal != null) {
      refusal.dispose();
    }
  }
}
