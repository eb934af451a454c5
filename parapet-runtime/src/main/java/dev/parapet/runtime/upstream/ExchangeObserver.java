package dev.parapet.runtime.upstream;

import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.provider.StreamChunk;
import dev.parapet.runtime.provider.Translated;
import java.util.Objects;
import java.util.Optional;

/**
 * The seam through which answer-side policies (the drift lock, the stream guard) see one call's
 * answer before the caller does. One instance per request, made by the factory given to {@link
 * UpstreamProxyHandler}, called on the caller's event loop, so it may keep per-stream state. (A
 * streamed event larger than {@link dev.parapet.runtime.PolicyThreads#THRESHOLD} is translated and
 * checked on a policy thread, and whatever the whole-answer work {@link #prepareAnswer} does runs
 * there when large; the loop leaves the call alone meanwhile, and the hand-overs order every
 * access, so the observer is still never called on two threads at once. What it shares across
 * requests must be thread-safe, as it already must across loops.)
 *
 * <p>{@link #beforeAnswer} (and, for a whole answer, {@link #onAnswer}) runs before the first byte of the answer reaches the caller, streaming
 * too (the stream's head waits for the first translated event, which carries the model): a veto
 * turns into a plain error response and the upstream request is closed. {@link #onStreamPayload}
 * runs before each streamed payload is written: a veto ends the stream with one SSE error event
 * carrying the veto's code, then {@code data: [DONE]}, and closes the upstream request.
 */
public interface ExchangeObserver {
  ExchangeObserver NONE = new ExchangeObserver() {};

  /** A refusal: the error to answer with and a message in our words. */
  record Veto(ParapetError error, String message) {
    public Veto {
      Objects.requireNonNull(error, "error");
      Objects.requireNonNull(message, "message");
    }
  }

  /**
   * The text work on a whole answer (an output scan, an output count), done before {@link
   * #beforeAnswer} and {@link #onAnswer} see it and where the answer was read: on a policy thread
   * when it is large ({@link dev.parapet.runtime.PolicyThreads}), so that megabytes of text never
   * hold up an event loop. It may read {@code answer}, rewrite it through {@link Translated#set},
   * and keep what it found in fields of its own that only {@link #onAnswer} reads. It touches
   * nothing the loop may touch meanwhile (no event, no shared state but what it lent in {@link
   * #onAway}, which precedes it off the loop): the caller may leave while it runs, and then neither
   * of the others follows, but the settlement, which waits for what was lent, still does. What it
   * found is acted on — an event recorded, a veto returned — in {@link #onAnswer}, once {@link
   * #beforeAnswer} let the answer through.
   */
  default void prepareAnswer(GatewayRequest request, Translated answer) {}

  /**
   * Work on the answer goes to a policy thread (a large streamed event, or a large whole answer's
   * {@link #prepareAnswer}): until {@link #onBack}, the observer's methods are called there, and
   * the loop touches nothing the observer shares with the call's other handlers. An observer that
   * shares state the loop may read meanwhile (the budget's output tally, read when a caller who left
   * is settled) lends it here. Called on the loop.
   */
  default void onAway() {}

  /** The work is back on the loop (or was dropped with the caller): give back what onAway lent. */
  default void onBack() {}

  /**
   * The provider answered 2xx, and so billed the call, but its answer could not be read: too large,
   * malformed, or cut off after the head. The caller gets an {@code upstream_error}; nothing of what
   * the provider billed is known. Also when an observer threw on a streamed answer (a bug of ours:
   * the caller gets {@code internal_error}), where what the failed check would have counted is
   * unknown. Called on the loop, before the call ends.
   */
  default void onUnreadableAnswer() {}

  /**
   * The provider answered 2xx, then ended its answer with an error of its own (an error event in
   * its stream, an error object as its whole answer): it read the prompt and says what went wrong,
   * so the call is settled as a stream the provider dropped (on the usage it reported and the
   * output seen, else the prompt as counted), neither released nor at its worst case. Called on the
   * loop, before the call ends.
   */
  default void onProviderError() {}

  /** @param reportedModel the model the provider says answered, if it said */
  default Optional<Veto> beforeAnswer(GatewayRequest request, Optional<String> reportedModel) {
    return Optional.empty();
  }

  /**
   * A whole (non-streaming) answer, translated, after {@link #beforeAnswer} let it through and
   * before any byte of it is sent: where an output scan looks at a complete answer. An observer
   * that changes the body must do it through {@link Translated#set} (or call {@link
   * Translated#markRewritten}): an answer nobody marked rewritten is sent as the provider's bytes.
   */
  default Optional<Veto> onAnswer(GatewayRequest request, Translated answer) {
    return Optional.empty();
  }

  /**
   * @param payload one OpenAI chunk about to be sent, with its parsed tree (shared: read it, never
   *     change it); {@code [DONE]} is not shown
   */
  default Optional<Veto> onStreamPayload(GatewayRequest request, StreamChunk payload) {
    return Optional.empty();
  }

  /**
   * The stream ends: its {@code [DONE]} is about to be written (a veto is written instead, as by
   * {@link #onStreamPayload}), or the provider broke it off (closed, timed out, sent an error) after
   * it started, when the caller is told {@code upstream_error} whatever this returns, or the caller
   * left mid-stream (its connection closed: 499, or 503 {@code shutdown} when the grace period
   * closed it), when nothing more is written and a veto is only recorded. Where an
   * observer held back a verdict until a choice's {@code finish_reason} (a match more text could
   * change), every choice still open ends here: a stream may end without one. Called once at most,
   * where {@link #onStreamPayload} is. A caller who left while an event was on a policy thread is
   * decided once that work is back, before {@link #onBack}: that event never reached it, so what it
   * received is the stream as it stood at {@link #onAway}.
   */
  default Optional<Veto> onStreamEnd(GatewayRequest request) {
    return Optional.empty();
  }

  /**
   * The stream is cut: a veto of {@link #onStreamPayload} (this observer's or another's) is written
   * instead of the chunk last shown, which the caller never receives; or an observer threw on that
   * chunk (a bug), and the stream ends on an error event instead of it. Where an observer held back a
   * verdict (see {@link #onStreamEnd}), it decides it now on what the caller did receive, the
   * stream before that chunk, and only records it: the veto is the stream's end. Called on the loop,
   * once at most, instead of {@link #onStreamEnd}.
   */
  default void onStreamCut(GatewayRequest request) {}
}
