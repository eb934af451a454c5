package dev.parapet.runtime.upstream;

import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.provider.StreamTranslator;
import dev.parapet.runtime.stream.SseResponse;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a {@link StreamedAnswer} ends otherwise than at its {@code [DONE]} or a veto: the provider's
 * exchange failed or sent what cannot be read ({@link #failMidStream}), an answer policy threw
 * ({@link #failOnObserver}), the provider sent an error of its own ({@link #failOnProviderError});
 * and, for those and a caller who left, the observers' once-only decision of what the caller
 * received ({@link #endObserved}). Each ends the call: a plain error response while no byte of
 * the answer went out, else one SSE error event then {@code [DONE]}.
 *
 * <p>Part of {@link StreamedAnswer}, which makes one per stream and is the only one that calls
 * it; what it needs is passed in: the call, the stream's writer and translator, and the {@link
 * EventCheck} whose verdict (an observer's failure, whether the end was asked) it reads. Used on
 * the caller's event loop only, never while an event is away on a policy thread. Its log lines are
 * under {@link StreamedAnswer}'s logger, as docs/telemetry.md names them.
 */
final class StreamFailures {
  private static final Logger LOG = LoggerFactory.getLogger(StreamedAnswer.class);

  private final ProxiedCall call;
  private final SseResponse sse;
  private final StreamTranslator translator;
  private final EventCheck check;

  StreamFailures(ProxiedCall call, SseResponse sse, StreamTranslator translator, EventCheck check) {
    this.call = call;
    this.sse = sse;
    this.translator = translator;
    this.check = check;
  }

  /**
   * The provider's exchange failed, or its stream could not be read, before its {@code [DONE]}:
   * a plain error while no byte of the answer went out, else one {@code upstream_error} event then
   * {@code [DONE]} (see {@link StreamedAnswer}).
   *
   * @param headed whether the provider's 2xx head was taken (its headers kept for the caller)
   */
  void failMidStream(FailureReason reason, boolean headed) {
    UpstreamFailure failure = reason.kind();
    call.abortUpstream();
    if (!sse.started()) {
      if (headed || failure == UpstreamFailure.PROTOCOL) {
        // After a 2xx head the provider began an answer it may bill, and nothing of it is known:
        // settled as a whole answer cut off after its head is, at its worst case. So are bytes that
        // are no HTTP head (PROTOCOL before one): perhaps a 2xx we cannot read (BufferedAnswer too).
        call.failUnreadable(reason);
      } else {
        call.fail(reason); // no answer began: connect, TLS, a timeout before the head (charged as such)
      }
      return;
    }
    if (failure == UpstreamFailure.PROTOCOL) {
      call.observer.onUnreadableAnswer(); // an event we cannot read: what it billed is unknown
    }
    endObserved(); // what reached the caller may end in a held match
    // In the stream every provider failure reads as upstream_error (SPEC §4); the completion
    // event keeps the precise kind (a gap timeout stays upstream_timeout for telemetry).
    LOG.info("route={} request_id={} stream ended upstream_error: {} reason={}", call.request.route().name(),
        call.request.requestId(), failure.message(), reason);
    call.failedBecause(reason);
    call.complete(sse.fail(ParapetError.UPSTREAM_ERROR, failure.message(), call.request.requestId()),
        200, Optional.of(failure.error()), translator.usage(), translator.reportedModel());
  }

  /**
   * An observer (an answer policy: the stream guard, the drift lock) threw while it checked the
   * answer: a bug of ours, not the provider's, so the caller is told {@code internal_error} in our
   * words, as the echo stream tells it (a plain 500 while no byte of the answer went out, else one
   * SSE error event then {@code [DONE]}), the log line names the failure's class (never its
   * message, which could quote the answer), and no {@code upstream_error} is recorded: the call
   * carries no provider failure. The provider, which billed what it sent, is closed; the call is
   * settled at the worst case, as an answer that could not be read is ({@link
   * ExchangeObserver#onUnreadableAnswer}): the check that failed may have stopped short of counting
   * its chunk.
   *
   * <p>Thrown on a chunk, that chunk is not written: the observers before the one that failed saw
   * it (the stream guard comes first), so what the caller received is decided before it, as at a
   * cut. Thrown at {@code [DONE]}, the observers were deciding the end already: not asked again.
   */
  void failOnObserver() {
    String failure = check.observerFailure;
    String on = check.observerFailedOn;
    boolean onChunk = check.failedOnChunk;
    check.forgetDecision();
    call.abortUpstream();
    LOG.error("route={} request_id={}: an answer policy failed checking {} ({}); answered internal_error",
        call.request.route().name(), call.request.requestId(), on, failure);
    call.observer.onUnreadableAnswer();
    if (!sse.started()) {
      call.fail(ParapetError.INTERNAL_ERROR, ProxiedCall.ANSWER_PROCESSING_FAILED);
      return;
    }
    if (onChunk) {
      call.cutObservedStream();
    }
    call.complete(sse.fail(ParapetError.INTERNAL_ERROR, ProxiedCall.ANSWER_PROCESSING_FAILED, call.request.requestId()), 200,
        Optional.of(ParapetError.INTERNAL_ERROR), translator.usage(), translator.reportedModel());
  }

  /**
   * The provider ended its stream with an error of its own: unlike an event we cannot read, it said
   * what went wrong, so the call is settled as a stream the provider dropped (the usage it reported,
   * the output seen: {@link ExchangeObserver#onProviderError}), never at its worst case. The caller
   * gets {@code upstream_error} naming the provider's error type: a plain 502 while no byte of the
   * answer went out, else one SSE error event then {@code [DONE]}.
   */
  void failOnProviderError(String type) {
    call.abortUpstream();
    if (!sse.started()) {
      call.failOnProviderError(type);
      return;
    }
    call.observer.onProviderError();
    endObserved(); // what reached the caller may end in a held match
    String message = call.providerErrorMessage(type);
    LOG.info("route={} request_id={} stream ended upstream_error: {} reason={}", call.request.route().name(),
        call.request.requestId(), message, FailureReason.PROVIDER_ERROR_EVENT);
    call.failedBecause(FailureReason.PROVIDER_ERROR_EVENT);
    call.complete(sse.fail(ParapetError.UPSTREAM_ERROR, message, call.request.requestId()), 200,
        Optional.of(FailureReason.PROVIDER_ERROR_EVENT.kind().error()), translator.usage(), translator.reportedModel());
  }

  /**
   * A started stream ends otherwise than at its {@code [DONE]}: the observers decide what the caller
   * received ({@link ProxiedCall#endObservedStream}), unless they were asked at the {@code [DONE]}
   * already (and failed there, or the caller left while that check was away): once at most.
   */
  void endObserved() {
    if (!check.endAsked) {
      check.endAsked = true;
      call.endObservedStream();
    }
  }
}
