package dev.parapet.runtime.policy.drift;

import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.policy.EnforcementEvents;
import dev.parapet.runtime.upstream.ExchangeObserver;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The model drift lock, on the answer side of the upstream stage: the model the provider reports
 * (OpenAI's {@code model}, Anthropic's {@code message.model}, read from the first streamed event
 * for streams) must be the route's pinned model or one of its {@code allowed_response_models}.
 * Under {@code drift_strict} anything else is refused with 502 {@code model_drift} before any byte
 * of the answer reaches the caller (the budget still settles the call: the provider charged it);
 * otherwise the answer is forwarded and a {@code model_drift} event recorded. An OpenAI-format
 * stream repeats the model in every chunk: a later one naming another is drift too, and under
 * {@code drift_strict} cuts the stream (its answer has started) with a {@code model_drift} event. An answer that
 * reports no model at all is let through (nothing to compare; some local servers omit it), and so
 * is one whose {@code model} is blank: Azure OpenAI starts every stream with a chunk of {@code
 * "model":""} that carries only its prompt filter results.
 *
 * <p>It also remembers each route's last {@code system_fingerprint} (in memory: a restart starts
 * fresh) and records {@code fingerprint_changed} when a route's answers report a new one.
 *
 * <p>One per gateway; {@link #forRequest} makes the per-request observer.
 */
public final class DriftLock {
  private final EnforcementEvents events;
  private final Map<String, String> fingerprints = new ConcurrentHashMap<>();

  public DriftLock(EnforcementEvents events) {
    this.events = Objects.requireNonNull(events, "events");
  }

  public ExchangeObserver forRequest(GatewayRequest request) {
    return new DriftCheck(this, request);
  }

  /** Whether a reported {@code model} names one: a blank one reports nothing. */
  static boolean names(String model) {
    return !model.isBlank();
  }

  EnforcementEvents events() {
    return events;
  }

  /** The previous fingerprint of {@code route} if this one differs from it, else null. */
  String swapFingerprint(String route, String fingerprint) {
    String previous = fingerprints.put(route, fingerprint);
    return previous != null && !previous.equals(fingerprint) ? previous : null;
  }
}
