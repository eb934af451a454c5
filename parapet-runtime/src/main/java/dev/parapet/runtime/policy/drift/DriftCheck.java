package dev.parapet.runtime.policy.drift;

import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.store.EventKind;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.provider.StreamChunk;
import dev.parapet.runtime.provider.Translated;
import dev.parapet.runtime.upstream.ExchangeObserver;
import java.util.Map;
import java.util.Optional;

/** One request's drift check and fingerprint watch (see {@link DriftLock}). */
final class DriftCheck implements ExchangeObserver {

  private final DriftLock lock;
  private final GatewayRequest request;
  /** The last reported model found allowed: the one every later chunk of a stream repeats. */
  private String allowed;
  private boolean driftRecorded;
  private boolean fingerprintRead;

  DriftCheck(DriftLock lock, GatewayRequest request) {
    this.lock = lock;
    this.request = request;
  }

  @Override
  public Optional<Veto> beforeAnswer(GatewayRequest r, Optional<String> reportedModel) {
    return reportedModel.isEmpty() ? Optional.empty() : check(reportedModel.get());
  }

  /**
   * One reported model: allowed, or a {@code model_drift} event (one per request: a stream repeats
   * the model in every chunk) and, under {@code drift_strict}, a veto.
   */
  private Optional<Veto> check(String reported) {
    if (reported.equals(allowed) || !DriftLock.names(reported)) {
      return Optional.empty();
    }
    ProviderSpec provider = request.route().provider();
    if (reported.equals(provider.model()) || provider.allowedResponseModels().contains(reported)) {
      allowed = reported;
      return Optional.empty();
    }
    boolean strict = request.route().policy().driftStrict();
    if (!driftRecorded) {
      driftRecorded = true;
      lock.events().record(request, EventKind.MODEL_DRIFT,
          Map.of("pinned", provider.model(), "reported", reported, "strict", Boolean.toString(strict)));
    }
    if (!strict) {
      return Optional.empty();
    }
    // The reported id is the provider's text: it goes to the event, not back to the caller.
    return Optional.of(new Veto(ParapetError.MODEL_DRIFT, "the provider answered with another model than "
        + provider.model() + ", which route " + request.route().name() + " is pinned to"));
  }

  @Override
  public Optional<Veto> onAnswer(GatewayRequest r, Translated answer) {
    fingerprintRead = true;
    answer.systemFingerprint().ifPresent(this::fingerprint);
    return Optional.empty();
  }

  @Override
  public Optional<Veto> onStreamPayload(GatewayRequest r, StreamChunk payload) {
    if (!fingerprintRead) { // every chunk repeats it: the first one tells
      fingerprintRead = true;
      payload.summary().fingerprint().filter(fp -> !fp.isEmpty()).ifPresent(this::fingerprint);
    }
    // Every chunk names its model, a later one too: one naming another than the first is drift, cut
    // (under drift_strict) with an error event, as the answer has started.
    Optional<String> model = payload.summary().model();
    return model.isEmpty() ? Optional.empty() : check(model.get());
  }

  private void fingerprint(String fingerprint) {
    String previous = lock.swapFingerprint(request.route().name(), fingerprint);
    if (previous != null) {
      lock.events().record(request, EventKind.FINGERPRINT_CHANGED,
          Map.of("previous", previous, "current", fingerprint));
    }
  }
}
