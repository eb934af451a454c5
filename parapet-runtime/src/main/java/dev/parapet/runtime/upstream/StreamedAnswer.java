package dev.parapet.runtime.upstream;

import dev.parapet.runtime.PolicyThreads;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.provider.ProviderAdapter;
import dev.parapet.runtime.provider.ProviderProtocolException;
import dev.parapet.runtime.provider.SseEvent;
import dev.parapet.runtime.provider.SseParser;
import dev.parapet.runtime.provider.SseWriter;
import dev.parapet.runtime.provider.StreamTranslator;
import dev.parapet.runtime.provider.Usage;
import dev.parapet.runtime.stream.SseResponse;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A provider's SSE answer relayed event by event: upstream bytes → {@link SseParser} → the
 * adapter's {@link StreamTranslator} → one {@code data:} frame per payload, flushed once per
 * piece of upstream body (so after each event that arrives alone), never the whole answer held,
 * each payload with the route's key masked should the provider have echoed it ({@link #maskKey}).
 * The caller's head waits for the first translated payload so the drift lock can still refuse with
 * a plain 502 (SPEC §4: checked before any byte reaches the caller, streaming too).
 *
 * <p>Backpressure: when the caller's connection stops being writable (its outbound buffer passed
 * the high water mark) we stop reading the provider, and resume when it drains, so a slow reader
 * holds at most about one water mark plus one upstream read in our memory.
 *
 * <p>Once the head is out, a failure can only be told in the stream: one {@code upstream_error}
 * event, then {@code data: [DONE]}, and the upstream connection is closed. An answer policy that
 * throws (our bug, not the provider's) is told the same way with {@code internal_error}, as the
 * echo stream tells it ({@link StreamFailures#failOnObserver}).
 *
 * <p>An event larger than {@link #OFF_LOOP_CHARS} (a provider may send up to {@link
 * SseParser#DEFAULT_MAX_EVENT_BYTES} in one) is translated and checked — its parse, the guard's
 * count and scan, ~100 ms for 4 MB — on the {@link PolicyThreads}, so it never holds up the loop's
 * other connections. Meanwhile the stream is "away": the provider is not read, what it had already
 * sent waits in a backlog, and nothing on the loop touches the translator or the observers. A
 * caller who leaves meanwhile ends the call at once, on the usage known before the event left;
 * the observers lent what the settlement reads ({@link ExchangeObserver#onAway}), so the call is
 * settled once the event is back. The events, their checks and their writes keep their order.
 */
final class StreamedAnswer implements Answer {
  /** Events whose data is longer than this are translated and checked on the policy threads. */
  static final int OFF_LOOP_CHARS = PolicyThreads.THRESHOLD;
  /** Test hook: runs on the policy thread before it works on a large event (to hold it there). */
  static volatile Runnable beforeOffLoopEventForTest;
  /** In the backlog: the provider's body ended cleanly. */
  private static final Object END = new Object();

  private final ProxiedCall call;
  private final ProviderAdapter adapter;
  private final SseParser parser = new SseParser();
  private final StreamTranslator translator;
  private boolean unflushed;
  private final SseResponse sse;
  private BufferedAnswer refusal;
  private HttpHeaders headers;

  /** The events of the piece of body being worked through, and the index of the next one. */
  private final ArrayList<SseEvent> events = new ArrayList<>(4);
  private final Consumer<SseEvent> collect = events::add;
  private int next;
  /** The piece broke the parser's bound after {@link #events}: the stream fails once they are out. */
  private boolean pieceBroken;
  /** What the event being worked through was found to be, until apply() acts on it. */
  private final EventCheck check;
  /** How the stream ends when it fails, or the caller leaves. */
  private final StreamFailures failures;

  /**
   * Masks the route's key in each payload as it is framed ({@link KeyScrubber}); null for a route
   * without a key.
   */
  private final SseWriter.Filter keyMask;
  /** Whether the key was masked in this stream (logged once). */
  private boolean keyMasked;

  /** A large event is on a policy thread: the loop leaves the stream alone until it is back. */
  private boolean away;
  /** The caller left a started stream while {@link #away}: what it received is decided once the event is back. */
  private boolean callerLeftWhileAway;
  /** What the provider sent while away, in order: pieces of body (retained), then END or a failure. */
  private ArrayDeque<Object> backlog;
  /** The translator's findings when the event left: what a caller who leaves meanwhile ends on. */
  private Optional<Usage> usageBeforeAway = Optional.empty();
  private Optional<String> modelBeforeAway = Optional.empty();

  StreamedAnswer(ProxiedCall call, ProviderAdapter adapter, StreamTranslator translator) {
    this.call = call;
    this.adapter = adapter;
    this.translator = translator;
    this.check = new EventCheck(translator, call.observer, call.request);
    this.sse = new SseResponse(call.ctx);
    this.failures = new StreamFailures(call, sse, translator, check);
    this.keyMask = call.providerKey.isPresent() && !call.providerKey.get().isEmpty() ? this::maskKey : null;
  }

  /**
   * One payload's bytes with the key masked, before they are framed. Each event is checked alone: a
   * key the provider split across two events is not (docs/security-model.md says why).
   */
  private byte[] maskKey(byte[] utf8) {
    byte[] masked = KeyScrubber.maskedOrSame(utf8, call.providerKey);
    if (masked != utf8 && !keyMasked) {
      keyMasked = true;
      call.keyMasked("stream");
    }
    return masked;
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
      // a 2xx (a whole answer?) the provider billed
      call.failUnreadable(FailureReason.NOT_EVENT_STREAM);
      return;
    }
    if (BufferedAnswer.coded(head.headers())) {
      // We asked for identity: a compressed stream has no event we can read. Said so at its head,
      // not as a stream that "closed before it was complete" once the provider ends it; billed, it
      // is settled at the worst case as before.
      call.abortUpstream();
      call.failUnreadable(FailureReason.UNACCEPTED_CODING);
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
    if (away) {
      backlog().add(content.retain()); // at most the rest of one read: the provider is paused
      return;
    }
    piece(content);
  }

  private ArrayDeque<Object> backlog() {
    if (backlog == null) {
      backlog = new ArrayDeque<>(4);
    }
    return backlog;
  }

  /** One piece of the provider's body: its events, then one flush for all of them. */
  private void piece(ByteBuf content) {
    try {
      parser.feed(content, collect);
    } catch (ProviderProtocolException e) { // an event above the parser's bound
      pieceBroken = true;
    }
    work();
  }

  /**
   * Works through the current piece's events in order, then ends the piece. Stops early when the
   * call ended, or when an event went to a policy thread: {@link #back} goes on from there.
   */
  private void work() {
    while (next < events.size()) {
      SseEvent event = events.get(next++);
      if (event.data().length() > OFF_LOOP_CHARS && sendAway(event)) {
        return;
      }
      check.decide(event);
      if (!apply()) {
        events.clear();
        next = 0;
        return;
      }
    }
    events.clear();
    next = 0;
    if (pieceBroken) {
      pieceBroken = false;
      failures.failMidStream(FailureReason.MALFORMED_EVENT, headers != null);
      return;
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

  /** Acts on what {@link EventCheck#decide} found, on the loop; false when that ended the call. */
  private boolean apply() {
    if (check.observerFailure != null) {
      check.decided.clear();
      failures.failOnObserver();
      return false;
    }
    if (check.broken) {
      check.broken = false;
      check.decided.clear();
      failures.failMidStream(FailureReason.MALFORMED_EVENT, headers != null);
      return false;
    }
    if (check.providerError != null) {
      String type = check.providerError;
      check.providerError = null;
      check.decided.clear();
      failures.failOnProviderError(type);
      return false;
    }
    if (check.refused != null) { // before the head: a plain error response
      ExchangeObserver.Veto veto = check.refused;
      check.refused = null;
      call.abortUpstream();
      call.fail(veto.error(), veto.message());
      return false;
    }
    if (check.decided.isEmpty() && check.cut == null) {
      return true;
    }
    startIfNeeded();
    for (String json : check.decided) {
      sse.event(json, keyMask);
    }
    check.decided.clear();
    unflushed = true; // flushed at the end of this piece of upstream body (work)
    if (check.cut != null) {
      ExchangeObserver.Veto veto = check.cut;
      check.cut = null;
      if (check.cutChunk) {
        check.cutChunk = false;
        call.cutObservedStream(); // the chunk vetoed is not written: what came before it is decided
      }
      call.abortUpstream();
      end(sse.fail(veto.error(), veto.message(), call.request.requestId()), veto.error());
      return false;
    }
    return true;
  }

  private void startIfNeeded() {
    if (!sse.started()) {
      sse.start(headers, call.request.keepAlive());
    }
  }

  /**
   * Hands {@code event} to a policy thread and pauses the provider; false, having done nothing, if
   * the pool refused it (the event is then worked on here).
   */
  private boolean sendAway(SseEvent event) {
    if (unflushed) {
      // The events before it go out now, not once it is back: the caller reads them meanwhile, and
      // one who leaves meanwhile had them (what it is decided on: leftWhileAway).
      unflushed = false;
      sse.flush();
    }
    away = true;
    usageBeforeAway = translator.usage();
    modelBeforeAway = translator.reportedModel();
    // To the end, even if the caller leaves before its turn: the provider billed the event's text,
    // and the settlement waits for its count.
    boolean went = call.lentToEnd(() -> {
      Runnable hook = beforeOffLoopEventForTest;
      if (hook != null) {
        hook.run();
      }
      check.decide(event);
      return null;
    }, this::leftWhileAway, (ignored, failure) -> back(failure));
    if (!went) {
      away = false;
      return false;
    }
    call.pauseUpstream();
    return true;
  }

  /**
   * The large event is back on the loop (the observers' state given back, so the settlement of a
   * caller who left meanwhile has run): act on it, then on whatever waited meanwhile.
   */
  private void back(Throwable failure) {
    away = false;
    if (call.completed()) { // the caller left meanwhile; dispose() emptied the backlog
      check.forgetDecision();
      return;
    }
    if (failure != null) {
      check.unprocessable(failure);
    }
    if (!apply()) {
      return;
    }
    work();
    while (!away && !call.completed() && backlog != null && !backlog.isEmpty()) {
      Object waited = backlog.poll();
      if (waited instanceof ByteBuf content) {
        try {
          piece(content);
        } finally {
          content.release();
        }
      } else if (waited == END) {
        onEnd();
      } else {
        onFailure((FailureReason) waited); // the exchange failed
      }
    }
    if (!away && !call.completed() && call.ctx.channel().isWritable()) {
      call.resumeUpstream();
    }
  }

  @Override
  public void onEnd() {
    if (refusal != null) {
      refusal.onEnd();
    } else if (call.completed()) {
      return;
    } else if (away) {
      backlog().add(END);
    } else if (translator.finished()) {
      if (!sse.started() && !check.approveGuarded()) {
        apply(); // refused before the head, or the check failed
        return;
      }
      startIfNeeded();
      end(sse.end(), null);
    } else {
      failures.failMidStream(FailureReason.STREAM_INCOMPLETE, headers != null);
    }
  }

  @Override
  public void onFailure(FailureReason reason) {
    if (refusal != null) {
      refusal.onFailure(reason);
    } else if (call.completed()) {
      return;
    } else if (away) {
      backlog().add(reason);
    } else if (sse.started() && translator.finished()) {
      end(sse.end(), null); // everything the caller needs arrived; only the connection broke
    } else {
      failures.failMidStream(reason, headers != null);
    }
  }

  private void end(ChannelFuture last, ParapetError error) {
    call.complete(last, 200, Optional.ofNullable(error), translator.usage(), translator.reportedModel());
  }

  /**
   * The caller left a started stream: what it received may end in a held match, decided now as at
   * the stream's end. While an event is away the observers are the policy thread's: decided once
   * it is back ({@link #leftWhileAway}).
   */
  @Override
  public void callerLeft() {
    if (refusal != null || !sse.started()) {
      return;
    }
    if (away) {
      callerLeftWhileAway = true;
    } else {
      failures.endObserved();
    }
  }

  /**
   * The event the caller left during is back, before the observers' state is and so before the
   * call's row is written: what the caller received is decided now. That event never reached it,
   * so the observers decide the stream as it stood when the event left ({@link
   * ExchangeObserver#onStreamEnd}).
   */
  private void leftWhileAway() {
    if (callerLeftWhileAway) {
      callerLeftWhileAway = false;
      failures.endObserved();
    }
  }

  @Override
  public void writabilityChanged(boolean writable) {
    if (writable && !away) { // while away the provider stays paused; back() resumes it
      call.resumeUpstream();
    }
  }

  @Override
  public Optional<Usage> usage() {
    if (refusal != null) {
      return refusal.usage();
    }
    return away ? usageBeforeAway : translator.usage(); // a policy thread may be changing the translator
  }

  @Override
  public Optional<String> reportedModel() {
    if (refusal != null) {
      return refusal.reportedModel();
    }
    return away ? modelBeforeAway : translator.reportedModel();
  }

  @Override
  public void dispose() {
    sse.discard();
    if (backlog != null) {
      for (Object waited : backlog) {
        if (waited instanceof ByteBuf content) {
          content.release();
        }
      }
      backlog.clear();
    }
    if (refusal != null) {
      refusal.dispose();
    }
  }
}
