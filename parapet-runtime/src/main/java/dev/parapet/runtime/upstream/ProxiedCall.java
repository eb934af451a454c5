package dev.parapet.runtime.upstream;

import dev.parapet.core.seal.SecretValue;
import dev.parapet.runtime.BodyReleased;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.PolicyThreads;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.http.ErrorResponses;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.provider.Translated;
import dev.parapet.runtime.provider.Usage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request in the terminal stage: the caller's context, the exchange that serves it, and the
 * single way out. Every path ends in {@link #complete}, which fires the one {@link
 * RequestCompleted} of the request and closes a connection that is not kept alive, so no path
 * can answer twice or forget the event.
 */
final class ProxiedCall {
  private static final Logger LOG = LoggerFactory.getLogger(ProxiedCall.class);
  /**
   * What the caller is told, with {@code internal_error}, when an answer could not be processed on
   * our side (an answer policy's bug): the same words whole, streamed and echoed.
   */
  static final String ANSWER_PROCESSING_FAILED = "the answer could not be processed";
  /**
   * With assertions on (tests), every answer sent as received is first checked against its tree: an
   * observer that rewrote it without saying so is logged as an error and its rewrite is sent, so
   * the mistake cannot silently hand the caller the unscrubbed original. Off in production (a parse).
   */
  static final boolean VERIFY_VERBATIM = ProxiedCall.class.desiredAssertionStatus();

  final ChannelHandlerContext ctx;
  final GatewayRequest request;
  final ExchangeObserver observer;
  final Optional<SecretValue> providerKey;
  private final Runnable onComplete;
  private UpstreamExchange exchange;
  private Answer answer;
  private boolean completed;
  /** Why the provider call failed, once it did: for the completion event only. */
  private FailureReason failureReason;

  ProxiedCall(ChannelHandlerContext ctx, GatewayRequest request, ExchangeObserver observer,
      Optional<SecretValue> providerKey, Runnable onComplete) {
    this.ctx = ctx;
    this.request = request;
    this.observer = observer;
    this.providerKey = providerKey;
    this.onComplete = onComplete;
  }

  void attach(UpstreamExchange exchange, Answer answer) {
    this.exchange = exchange;
    this.answer = answer;
  }

  boolean completed() {
    return completed;
  }

  /** Stops the provider side: the connection is closed, never pooled. */
  /**
   * The provider answered: drops the prompt (see {@link GatewayRequest#releaseBody()}) and tells the
   * caller's pipeline, whose body budget gives the request's bytes back now, not when a stream ends.
   */
  void releaseBody() {
    if (request.hasBody()) {
      request.releaseBody();
      ctx.pipeline().fireUserEventTriggered(BodyReleased.INSTANCE);
    }
  }

  void abortUpstream() {
    if (exchange != null) {
      exchange.abort();
    }
  }

  void pauseUpstream() {
    if (exchange != null) {
      exchange.pauseReading();
    }
  }

  void resumeUpstream() {
    if (exchange != null) {
      exchange.resumeReading();
    }
  }

  void writabilityChanged(boolean writable) {
    if (answer != null && !completed) {
      answer.writabilityChanged(writable);
    }
  }

  /** Headers every answer of this call carries. */
  HttpHeaders stamp(HttpHeaders headers) {
    return headers.set(ErrorResponses.REQUEST_ID_HEADER, request.requestId());
  }

  /** A refusal or failure before any byte of the answer was sent. */
  void fail(ParapetError error, String message) {
    fail(error, message, answerUsage(), answerModel());
  }

  private void fail(ParapetError error, String message, Optional<Usage> usage, Optional<String> model) {
    if (completed) {
      return;
    }
    LOG.info("route={} request_id={} answered {}: {}", request.route().name(), request.requestId(), error.code(), message);
    respondError(error, message, usage, model);
  }

  /**
   * A failure of the provider call before any byte of the answer was sent: the caller gets the
   * fixed {@code message}; the log line adds {@code reason} (docs/telemetry.md), for the operator.
   */
  private void fail(ParapetError error, String message, FailureReason reason) {
    if (completed) {
      return;
    }
    LOG.info("route={} request_id={} answered {}: {} reason={}", request.route().name(), request.requestId(),
        error.code(), message, reason);
    failedBecause(reason);
    respondError(error, message, answerUsage(), answerModel());
  }

  private void respondError(ParapetError error, String message, Optional<Usage> usage, Optional<String> model) {
    FullHttpResponse response = ErrorResponses.create(ctx.alloc(), error, message, request.requestId());
    send(response, Optional.of(error), usage, model);
  }

  /**
   * Runs {@code step} of this call's way out: whatever it throws (a bug in an adapter or a policy)
   * still answers 500 {@code message} and ends the call, once.
   */
  void guarded(String message, Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      failed(message, e);
    }
  }

  /**
   * Runs {@code work} for this call on the {@link PolicyThreads}, then {@code then} with its result
   * on the call's loop, guarded as {@link #guarded} is. Nothing follows once the call has ended
   * meanwhile (the caller left: nothing more is sent); {@code dropped} releases what {@code work}
   * would have, should the caller leave before its turn. False, having run nothing, if the pool
   * refused the work.
   *
   * <p>The observers lend what they share with the settlement for the trip ({@link
   * ExchangeObserver#onAway}, {@link ExchangeObserver#onBack}): {@code work} may run their text work,
   * and a caller who leaves meanwhile is settled once it is back, on what it found.
   */
  <T> boolean offLoop(String message, Supplier<T> work, Consumer<T> then, Runnable dropped) {
    return lending(() -> PolicyThreads.run(ctx.channel(), work, (result, failure) -> back(message, result, failure, then),
        () -> {
          observer.onBack();
          dropped.run();
        }));
  }

  /**
   * {@link #offLoop} for work on an answer the provider already billed (a large whole answer): it
   * runs even if the caller leaves before its turn ({@link PolicyThreads#runToEnd}), so that caller
   * is settled on what the answer carried, never on the prompt alone.
   */
  <T> boolean offLoopToEnd(String message, Supplier<T> work, Consumer<T> then) {
    return lentToEnd(work, () -> {}, (result, failure) -> carryOn(message, result, failure, then));
  }

  /**
   * The hand-off beneath {@link #offLoopToEnd}, for an answer that ends its own way (a stream,
   * whose failures are told in the stream): {@code work} runs to its end ({@link
   * PolicyThreads#runToEnd}) with the observers' shared state lent, and {@code then} gets its result
   * or what it threw on the loop once that state is given back, also when the call ended meanwhile.
   * Should it have ended (the caller left), {@code ended} runs first, on the loop, before the state
   * is given back and so before the settlement that waited for it writes the call's row.
   * False, having run nothing and lent nothing, if the pool refused the work.
   */
  <T> boolean lentToEnd(Supplier<T> work, Runnable ended, BiConsumer<T, Throwable> then) {
    return lending(() -> PolicyThreads.runToEnd(ctx.channel(), work, (result, failure) -> {
      if (completed) {
        ended.run();
      }
      observer.onBack(); // a settlement that waited for the observers' state runs now
      then.accept(result, failure);
    }));
  }

  /** Lends the observers' shared state while {@code submit} hands work off; false if it did not. */
  private boolean lending(BooleanSupplier submit) {
    observer.onAway();
    if (submit.getAsBoolean()) {
      return true;
    }
    observer.onBack();
    return false;
  }

  private <T> void back(String message, T result, Throwable failure, Consumer<T> then) {
    observer.onBack(); // a settlement that waited for the observers' state runs now
    carryOn(message, result, failure, then);
  }

  /** Goes on with what came back from the policy threads: nothing once ended, a 500 if it failed. */
  private <T> void carryOn(String message, T result, Throwable failure, Consumer<T> then) {
    if (completed) {
      return;
    }
    if (failure != null) {
      failed(message, failure);
    } else {
      guarded(message, () -> then.accept(result));
    }
  }

  private void failed(String message, Throwable cause) {
    LOG.error("route={} request_id={} failed: {} ({})", request.route().name(), request.requestId(), message,
        cause.getClass().getName());
    abortUpstream();
    fail(ParapetError.INTERNAL_ERROR, message);
  }

  /** The provider call failed for {@code reason}: the caller is told its {@link FailureReason#kind}. */
  void fail(FailureReason reason) {
    fail(reason.kind().error(), reason.kind().message(), reason);
  }

  /**
   * {@link #fail(FailureReason)} for an answer the provider sent with a 2xx head, and so billed,
   * that could not be read: the observers are told first ({@link
   * ExchangeObserver#onUnreadableAnswer}), so the settlement charges the worst case, not nothing.
   */
  void failUnreadable(FailureReason reason) {
    if (!completed) {
      observer.onUnreadableAnswer();
    }
    fail(reason);
  }

  /**
   * The provider answered 2xx, then ended its answer with an error of its own, before any byte of
   * it reached the caller: a plain {@code upstream_error} naming the provider's error type, settled
   * on what was seen ({@link ExchangeObserver#onProviderError}).
   */
  void failOnProviderError(String errorType) {
    if (!completed) {
      observer.onProviderError();
    }
    FailureReason reason = FailureReason.PROVIDER_ERROR_EVENT;
    fail(reason.kind().error(), providerErrorMessage(errorType), reason);
  }

  /** What the caller is told of the provider's own error: its type, the route's key masked. */
  String providerErrorMessage(String errorType) {
    return FailureReason.PROVIDER_ERROR_EVENT.kind().message() + ": " + KeyScrubber.scrub(errorType, providerKey);
  }

  /**
   * The work on a whole answer that may run off the event loop, where the answer was read: the
   * observers' text work ({@link ExchangeObserver#prepareAnswer}), then the answer's encoding, when
   * it will not go out as the provider's bytes, then the check of the bytes it will go out as for
   * the route's key (a pass over up to 16 MiB, so it is done here too). Touches only {@code t}, the
   * observer's own state and {@code received} (read only); the caller may leave meanwhile.
   *
   * @param received the provider's bytes when they are exactly {@code t}'s body as read, else null
   * @return what the key check found, or null when nothing was checked (the encoding failed)
   */
  KeyCheck prepareWhole(Translated t, ByteBuf received) {
    observer.prepareAnswer(request, t);
    if (received != null && !t.rewritten()) {
      return KeyCheck.of(null, KeyScrubber.maskedOrNull(received, providerKey));
    }
    try {
      byte[] encoded = t.encoded(); // kept in t for answerWhole
      ByteBuf json = Unpooled.wrappedBuffer(encoded);
      try {
        return KeyCheck.of(encoded, KeyScrubber.maskedOrNull(json, providerKey));
      } finally {
        json.release();
      }
    } catch (IOException e) {
      return null; // nothing kept: answerWhole encodes again, fails the same way and answers 500
    }
  }

  /**
   * A whole translated answer that went through {@link #prepareWhole}: the observer may still
   * refuse it (drift, output policy); otherwise it goes out as 200 JSON with {@code headers} (the
   * provider's safe ones, or none for echo), the route's key masked in it wherever it appears
   * ({@link KeyScrubber}: a provider that echoes its request). The one place both the proxied and
   * the local answer take this path.
   *
   * @param asReceived the provider's bytes when {@code t}'s body is exactly their parse (not taken
   *     over; a retained duplicate is sent if nobody rewrote the answer), or null: send {@code t}'s
   *     encoding
   * @param checked what {@link #prepareWhole} found of the key, used when the bytes sent are the
   *     ones it checked (else they are checked here), or null
   */
  void answerWhole(Translated t, HttpHeaders headers, ByteBuf asReceived, KeyCheck checked) {
    Optional<ExchangeObserver.Veto> veto = observer.beforeAnswer(request, t.reportedModel())
        .or(() -> observer.onAnswer(request, t));
    if (veto.isPresent()) {
      // The provider answered, and said what it charged: the settlement reads it from here.
      fail(veto.get().error(), veto.get().message(), t.usage(), t.reportedModel());
      return;
    }
    boolean verbatim = asReceived != null && !t.rewritten();
    if (verbatim && VERIFY_VERBATIM && !sameTree(asReceived, t)) {
      LOG.error("route={} request_id={}: the answer was changed without Translated.set or markRewritten",
          request.route().name(), request.requestId());
      t.markRewritten();
      verbatim = false;
    }
    ByteBuf json;
    byte[] encoded = null;
    if (verbatim) {
      json = asReceived.retainedDuplicate();
    } else {
      try {
        encoded = t.encoded();
      } catch (IOException e) {
        fail(ParapetError.INTERNAL_ERROR, "the answer could not be encoded");
        return;
      }
      json = Unpooled.wrappedBuffer(encoded);
    }
    byte[] masked = checked != null && checked.encoded() == encoded ? checked.masked()
        : KeyScrubber.maskedOrNull(json, providerKey);
    if (masked != null) {
      json.release();
      json = Unpooled.wrappedBuffer(masked);
      keyMasked("answer");
    }
    headers.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    respond(HttpResponseStatus.OK, headers, json, Optional.empty(), t.usage(), t.reportedModel());
  }

  /**
   * Logs that the provider's 2xx {@code what} quoted the route's key, masked before the caller saw
   * it: a provider (or whatever answers at {@code base_url}) that echoes its request. By route and
   * request id, never the key; the operator should look at that provider.
   */
  void keyMasked(String what) {
    request.note(GatewayRequest.PROVIDER_KEY_MASKED);
    LOG.warn("route={} request_id={}: the provider's {} quoted the route's provider key; masked before it reached"
        + " the caller (check what answers at the route's base_url)", request.route().name(), request.requestId(), what);
  }

  /** Whether the provider's bytes still parse to {@code t}'s body. */
  private static boolean sameTree(ByteBuf received, Translated t) {
    try (InputStream in = new ByteBufInputStream(received.duplicate())) {
      return BufferedAnswer.JSON.readTree(in).equals(t.body());
    } catch (IOException e) {
      return false;
    }
  }

  /** A whole answer; {@code body} is taken over. */
  void respond(HttpResponseStatus status, HttpHeaders headers, ByteBuf body, Optional<ParapetError> error,
      Optional<Usage> usage, Optional<String> model) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    response.headers().add(stamp(headers)).setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    if (completed) {
      response.release();
      return;
    }
    send(response, error, usage, model);
  }

  private void send(HttpResponse response, Optional<ParapetError> error, Optional<Usage> usage, Optional<String> model) {
    if (!request.keepAlive()) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    ChannelFuture written = ctx.writeAndFlush(response);
    complete(written, response.status().code(), error, usage, model);
  }

  /**
   * The end of every path: fires the request's one {@link RequestCompleted} and closes a
   * connection the caller does not keep alive once {@code last} is written.
   */
  void complete(ChannelFuture last, int status, Optional<ParapetError> error, Optional<Usage> usage, Optional<String> model) {
    if (completed) {
      return;
    }
    completed = true;
    if (answer != null) {
      answer.dispose();
    }
    if (last != null && !request.keepAlive()) {
      last.addListener(ChannelFutureListener.CLOSE);
    }
    onComplete.run();
    long latency = System.nanoTime() - request.startNanos();
    ctx.pipeline().fireUserEventTriggered(new RequestCompleted(
        request.requestId(), Optional.of(request), status, error, usage, model, latency,
        Optional.ofNullable(failureReason)));
  }

  /** Why the provider call failed, for the completion event (its {@code upstream_error} event). */
  void failedBecause(FailureReason reason) {
    failureReason = reason;
  }

  /**
   * The caller's connection went away (or our handler was removed): stop everything. Closed by the
   * shutdown grace period, not by the caller, it ends as 503 {@code shutdown}, else as 499.
   */
  void callerGone() {
    if (completed) {
      return;
    }
    abortUpstream();
    if (answer != null) {
      answer.callerLeft(); // before complete(): what it decides is noted on the row
    }
    complete(null, RequestCompleted.goneStatus(ctx.channel()), RequestCompleted.goneError(ctx.channel()),
        answerUsage(), answerModel());
  }

  /**
   * A started stream ends otherwise than at its {@code [DONE]} (the provider broke it off, the
   * caller left): what the caller received up to here may end in a match the observers held back
   * for a {@code finish_reason} that will not come (a card number's last digits); they decide it
   * now and record it ({@link ExchangeObserver#onStreamEnd}). Their veto is not written: the
   * stream already ends another way. Never throws: whatever an observer throws is logged by its
   * class only (its message could quote the answer).
   */
  void endObservedStream() {
    try {
      observer.onStreamEnd(request);
    } catch (RuntimeException e) {
      LOG.error("route={} request_id={}: the end of a broken stream could not be checked ({})",
          request.route().name(), request.requestId(), e.getClass().getName());
    }
  }

  /**
   * A started stream is cut by a veto, written instead of the chunk last checked: the observers
   * decide what the caller received before that chunk ({@link ExchangeObserver#onStreamCut}).
   * Never throws, as {@link #endObservedStream}: the veto is written whatever they find.
   */
  void cutObservedStream() {
    try {
      observer.onStreamCut(request);
    } catch (RuntimeException e) {
      LOG.error("route={} request_id={}: the text before a cut could not be checked ({})",
          request.route().name(), request.requestId(), e.getClass().getName());
    }
  }

  private Optional<Usage> answerUsage() {
    return answer == null ? Optional.empty() : answer.usage();
  }

  private Optional<String> answerModel() {
    return answer == null ? Optional.empty() : answer.reportedModel();
  }
}
