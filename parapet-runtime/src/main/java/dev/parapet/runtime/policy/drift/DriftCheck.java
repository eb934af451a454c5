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
  private boolean checked;
  private boolean fingerprintRead;

  DriftCheck(DriftLock lock, GatewayRequest request) {
    this.lock = lock;
    this.request = request;
  }

  @Override
  public Optional<Veto> beforeAnswer(GatewayRequest r, Optional<String> reportedModel) {
    if (checked || reportedModel.filter(DriftLock::names).isEmpty()) {
      return Optional.empty();
    }
    checked = true;
    ProviderSpec provider = request.route().provider();
    String reported = reportedModel.get();
    if (reported.equals(provider.model()) || provider.allowedResponseModels().contains(reported)) {
      return Optional.empty();
    }
    boolean strict = request.route().policy().driftStrict();
    lock.events().record(request, EventKind.MODEL_DRIFT,
        Map.of("pinned", provider.model(), "reported", reported, "strict", Boolean.toString(strict)));
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
    return Optional.empty();
  }

  private void fingerprint(String fingerprint) {
    String previous = lock.swapFingerprint(request.route().name(), fingerprint);
    if (previous != null) {
      lock.events().record(request, EventKind.FINGERPRINT_CHANGED,
          Map.of("previous", previous, "current", fingerprint));
    }
  }
}
