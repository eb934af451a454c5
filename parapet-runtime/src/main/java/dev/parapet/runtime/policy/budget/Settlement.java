package dev.parapet.runtime.policy.budget;

import dev.parapet.core.budget.Cost;
import dev.parapet.core.config.Pricing;
import dev.parapet.core.pricing.UnseenOutput;
import dev.parapet.runtime.Charge;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.policy.OutputTally;
import dev.parapet.runtime.provider.Usage;
import java.math.BigDecimal;
import java.util.Optional;

/**
 * What a forwarded call is charged, decided from how it ended ({@link RequestCompleted}):
 *
 * <ul>
 *   <li><b>Upstream timeout</b> (504, nothing answered in {@code timeout_ms}): the worst case. The
 *       request went out and the provider may have generated every token it was allowed; we cannot
 *       know, so we fail closed. (A connect timeout is charged too: the two are not told apart.)
 *   <li><b>A complete answer with reported usage</b>: exactly that usage ({@link Cost#actual}),
 *       the prompt tokens the provider read from its cache at the route's cached-input price when
 *       the built-in table has one.
 *   <li><b>Nothing can have been charged</b> — no answer started and the call ended as a provider
 *       4xx (passed through), an {@code upstream_error} (connection refused, TLS, 5xx), an
 *       adapter's {@code invalid_request} or our own 503: released. A provider that drops the
 *       connection after reading the request is indistinguishable here from one that refused it;
 *       it is released too (the one undercount we accept: at most that call's prompt).
 *   <li><b>A 2xx answer that could not be read</b> — past the 16 MiB bound, malformed, cut off after
 *       its head, a stream event we cannot parse, bytes that are no HTTP head (perhaps a 2xx, whole
 *       or streamed): the worst case, though the caller gets a 502. The
 *       provider billed it and nothing of what it billed is known; releasing the hold would make an
 *       answer the caller can inflate past the bound ({@code n} × {@code top_logprobs}) free.
 *   <li><b>A caller who left before a whole (non-streamed) answer arrived</b> (or whose connection
 *       the shutdown grace period closed): the worst case. The
 *       provider may still generate and bill the whole answer, and nothing of it was seen; charging
 *       the prompt alone would let a caller who always hangs up spend past every cap.
 *   <li><b>Everything else</b> — a stream cut by a guard, a caller gone (499) or a call the
 *       shutdown grace period cut (503 {@code shutdown}: settled as a caller gone), a stream the
 *       provider dropped or ended with an error of its own (an error event: readable, so not an
 *       unreadable answer; also before any delta, and a whole 2xx answer that is such an error),
 *       a drift refusal (the provider charged it): the tokens actually seen,
 *       never zero: the prompt as counted (or as reported, if more) plus the output tokens as
 *       reported or, when more, as counted from what the answer carried. But on a model that bills
 *       output it never sends ({@link UnseenOutput}: OpenAI's reasoning models), or for a call with a
 *       Predicted Outputs prediction (its tokens the answer does not use are billed as output and
 *       never sent), or a stream that carried Anthropic's encrypted {@code redacted_thinking}, what
 *       was seen says nothing of that output: the worst case, as for a timeout. So too for any
 *       anthropic call with extended thinking that ends short of a complete answer ({@link
 *       Unseen#UNTIL_COMPLETE}): Claude 4 models stream a summary of their thinking and bill all of
 *       it (on Claude 3.7, which streams it whole, an overcharge, never an undercharge).
 * </ul>
 *
 * <p>The {@link Charge} also says on which tokens: the call's telemetry row and metrics carry them.
 */
final class Settlement {
  private Settlement() {}

  /** Output a call may be billed for that its answer never shows, and what tells how much. */
  enum Unseen {
    /** None: what the answer carried is what was billed. */
    NONE,
    /**
     * OpenAI's reasoning, a prediction's rejected tokens: told by the provider's usage, which comes
     * with the whole answer or at a stream's very end.
     */
    UNTIL_USAGE,
    /**
     * Anthropic's extended thinking: Claude 4 models stream only a summary of it and bill all of it,
     * so what was counted says nothing of it. Told only by a complete answer's usage: a stream's
     * {@code message_start} already reports a partial one.
     */
    UNTIL_COMPLETE
  }

  /** What {@code c} is charged; {@link Charge.Basis#NONE}: release the hold. */
  static Charge charge(RequestCompleted c, Pricing pricing, Optional<BigDecimal> cachedInputPer1mUsd,
      long promptTokens, long worstCaseNanos, OutputTally tally, Unseen unseen) {
    int status = c.status();
    Optional<ParapetError> error = c.error();
    Optional<Usage> usage = c.usage();
    if (usage.isPresent() && error.isEmpty() && status >= 200 && status < 300) {
      Usage u = usage.get();
      return Charge.reported(u,
          Cost.actual(pricing, u.promptTokens(), u.cachedPromptTokens(), cachedInputPer1mUsd, u.completionTokens()));
    }
    boolean timeout = status == 504 && error.equals(Optional.of(ParapetError.UPSTREAM_TIMEOUT));
    if (!timeout && !c.connectionGone() && nothingCharged(status, error, usage, tally)) {
      return Charge.NOTHING;
    }
    long prompt = Math.max(promptTokens, usage.map(Usage::promptTokens).orElse(0L));
    long output = Math.max(tally.outputTokens(), usage.map(Usage::completionTokens).orElse(0L));
    // A caller who left (or whose connection the shutdown closed) before a whole answer arrived:
    // the provider may still generate and bill all of it, and nothing of it was seen. (A stream's provider stops when Parapet hangs up; an
    // answer read off the loop after the caller left has its output in the tally.)
    boolean wholeAbandoned = c.connectionGone() && usage.isEmpty() && output == 0
        && !tally.sawAnswer() && c.request().map(r -> !r.stream()).orElse(false);
    // Output billed but never shown (reasoning, a prediction's rejected tokens) is unknown without
    // the usage, which carries it. Anthropic's thinking, encrypted or summarized, and a 2xx answer we
    // could not read, are unknown short of a complete answer: a message_start already reports a
    // partial usage (a whole answer's usage, as a drift refusal has it, is complete).
    boolean streamed = c.request().map(r -> r.stream()).orElse(true);
    boolean unseenUnknown = switch (unseen) {
      case NONE -> false;
      case UNTIL_USAGE -> usage.isEmpty();
      case UNTIL_COMPLETE -> usage.isEmpty() || streamed;
    };
    if (timeout || wholeAbandoned || unseenUnknown || tally.hasUncountedOutput()) {
      return new Charge(prompt, output, worstCaseNanos, Charge.Basis.WORST_CASE);
    }
    return new Charge(prompt, output, Cost.actual(pricing, prompt, output), Charge.Basis.COUNTED);
  }

  private static boolean nothingCharged(
      int status, Optional<ParapetError> error, Optional<Usage> usage, OutputTally tally) {
    if (usage.isPresent() || tally.sawAnswer() || status == 200) {
      return false;
    }
    if (status >= 400 && status < 500 && error.isEmpty()) {
      return true; // the provider's own refusal, passed through
    }
    return error.isPresent() && switch (error.get()) {
      case UPSTREAM_ERROR, INVALID_REQUEST, SERVICE_UNAVAILABLE -> true;
      default -> false;
    };
  }
}
