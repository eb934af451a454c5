package dev.parapet.runtime.upstream;

import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.provider.ProviderErrorException;
import dev.parapet.runtime.provider.ProviderProtocolException;
import dev.parapet.runtime.provider.SseEvent;
import dev.parapet.runtime.provider.StreamChunk;
import dev.parapet.runtime.provider.StreamTranslator;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One event of a {@link StreamedAnswer}, translated and checked: {@link #decide} feeds it to the
 * translator and asks the observers about each payload, and keeps what it found — the payloads to
 * send, or why not — until {@link StreamedAnswer#apply} acts on it and clears it. It writes
 * nothing and holds neither the caller's channel nor the call, only the translator, the observers
 * and the request: that is why a large event's {@link #decide} may run on a policy thread.
 *
 * <p>Part of {@link StreamedAnswer}, which makes one per stream and is the only one that touches
 * it. It has the stream's thread rules: used on the caller's event loop, or, while a large event
 * is away ({@link ProxiedCall#lentToEnd}), on the policy thread working on that event, never on
 * both at once (the hand-overs order every access; the loop leaves it alone until the event is
 * back). Its log line is under {@link StreamedAnswer}'s logger, as it was before this class was
 * split from it: an operator's filter on that logger still sees it.
 */
final class EventCheck {
  private static final Logger LOG = LoggerFactory.getLogger(StreamedAnswer.class);
  private static final String ANSWER_START = "the answer's start";

  private final StreamTranslator translator;
  private final ExchangeObserver observer;
  private final GatewayRequest request;

  // What decide() found in one event, for StreamedAnswer.apply() to act on: the payloads to send, or why not.
  final ArrayList<String> decided = new ArrayList<>(2);
  ExchangeObserver.Veto refused;
  ExchangeObserver.Veto cut;
  /** {@link #cut} vetoes a chunk (not the {@code [DONE]}, whose end the observers decided already). */
  boolean cutChunk;
  boolean broken;
  /** The payload the observers are checking ({@link #translateAndCheck}), while they check it. */
  private StreamChunk inCheck;
  /**
   * {@link #observerFailure} on a chunk (not the {@code [DONE]}): that chunk is not written, so what
   * the caller received is decided before it ({@link ExchangeObserver#onStreamCut}), not after it
   * as at a broken stream's end.
   */
  boolean failedOnChunk;
  /**
   * An observer threw while {@link #decide} asked it (a policy's bug): the class of what it threw,
   * for the log line (never its message, which could quote the answer); null when none did.
   */
  String observerFailure;
  /** What the observers were checking when one threw, for the log line. */
  String observerFailedOn;
  /**
   * The observers were asked to decide the stream's end at its {@code [DONE]} ({@link
   * ExchangeObserver#onStreamEnd}, once at most): a failure after it, theirs at that very check
   * included, does not ask them again ({@link StreamFailures#endObserved}).
   */
  boolean endAsked;
  /** The provider's own error ended the stream: its type ({@link ProviderErrorException}). */
  String providerError;
  /** The observers let the answer start (beforeAnswer, asked once). */
  private boolean approved;

  EventCheck(StreamTranslator translator, ExchangeObserver observer, GatewayRequest request) {
    this.translator = translator;
    this.observer = observer;
    this.request = request;
  }

  /**
   * Translates and checks one event: fills {@link #decided} with the payloads to send, or says
   * why not ({@link #refused}, {@link #cut}, {@link #broken}). Writes nothing, so it may run on a
   * policy thread while the stream is away.
   */
  void decide(SseEvent event) {
    try {
      translateAndCheck(event);
    } catch (RuntimeException e) { // an observer's: on the loop, it would reach the upstream connection's pipeline
      boolean onChunk = inCheck != null && !inCheck.isDone();
      String on = inCheck == null ? ANSWER_START : onChunk ? "a chunk" : "the stream's end";
      observerFailed(e);
      observerFailedOn = on;
      failedOnChunk = onChunk;
    } finally {
      inCheck = null;
    }
  }

  private void translateAndCheck(SseEvent event) {
    List<StreamChunk> payloads;
    try {
      payloads = translator.onEvent(event);
    } catch (ProviderErrorException e) {
      providerError = e.errorType();
      return;
    } catch (ProviderProtocolException e) {
      broken = true;
      return;
    } catch (RuntimeException e) { // a translator's bug: the event could not be read
      unprocessable(e);
      return;
    }
    for (StreamChunk payload : payloads) {
      if (!approve()) {
        return;
      }
      // [DONE] is no chunk: it ends every choice still open (a held match is decided before it goes)
      inCheck = payload;
      endAsked |= payload.isDone();
      Optional<ExchangeObserver.Veto> veto = payload.isDone() ? observer.onStreamEnd(request)
          : observer.onStreamPayload(request, payload);
      inCheck = null;
      if (veto.isPresent()) {
        cut = veto.get();
        cutChunk = !payload.isDone();
        return;
      }
      if (!payload.isHidden()) {
        decided.add(payload.json());
      }
    }
  }

  /** Asks the observers, once, whether the answer may start (the drift lock); sets refused if not. */
  private boolean approve() {
    if (approved) {
      return true;
    }
    Optional<ExchangeObserver.Veto> veto = observer.beforeAnswer(request, translator.reportedModel());
    if (veto.isPresent()) {
      refused = veto.get();
      return false;
    }
    approved = true;
    return true;
  }

  /** {@link #approve} where nothing else catches what an observer's bug throws. */
  boolean approveGuarded() {
    try {
      return approve();
    } catch (RuntimeException e) {
      observerFailed(e);
      observerFailedOn = ANSWER_START;
      return false;
    }
  }

  /**
   * A bug in a translator or a policy (on the loop or a policy thread): logged by its class (its
   * message could quote the answer), and the stream ends as for an event that cannot be read.
   */
  void unprocessable(Throwable failure) {
    LOG.error("route={} request_id={}: a streamed event could not be processed ({})",
        request.route().name(), request.requestId(), failure.getClass().getName());
    forgetDecision();
    broken = true;
  }

  /** An observer's bug, found while it checked the answer: {@link StreamedAnswer#apply} ends the call on it. */
  private void observerFailed(RuntimeException failure) {
    forgetDecision();
    observerFailure = failure.getClass().getName();
  }

  void forgetDecision() {
    decided.clear();
    refused = null;
    cut = null;
    cutChunk = false;
    broken = false;
    failedOnChunk = false;
    observerFailure = null;
    observerFailedOn = null;
    providerError = null;
  }
}
