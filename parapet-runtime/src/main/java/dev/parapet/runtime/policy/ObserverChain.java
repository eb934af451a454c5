package dev.parapet.runtime.policy;

import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.provider.Translated;
import dev.parapet.runtime.provider.StreamChunk;
import dev.parapet.runtime.upstream.ExchangeObserver;
import java.util.List;
import java.util.Optional;

/** Several answer-side policies as one observer: each sees every call in order; the first veto wins. */
final class ObserverChain implements ExchangeObserver {
  private final List<ExchangeObserver> observers;

  ObserverChain(List<ExchangeObserver> observers) {
    this.observers = List.copyOf(observers);
  }

  @Override
  public void prepareAnswer(GatewayRequest request, Translated answer) {
    for (ExchangeObserver o : observers) {
      o.prepareAnswer(request, answer);
    }
  }

  @Override
  public void onAway() {
    for (ExchangeObserver o : observers) {
      o.onAway();
    }
  }

  @Override
  public void onBack() {
    for (ExchangeObserver o : observers) {
      o.onBack();
    }
  }

  @Override
  public void onUnreadableAnswer() {
    for (ExchangeObserver o : observers) {
      o.onUnreadableAnswer();
    }
  }

  @Override
  public void onProviderError() {
    for (ExchangeObserver o : observers) {
      o.onProviderError();
    }
  }

  @Override
  public Optional<Veto> beforeAnswer(GatewayRequest request, Optional<String> reportedModel) {
    for (ExchangeObserver o : observers) {
      Optional<Veto> v = o.beforeAnswer(request, reportedModel);
      if (v.isPresent()) {
        return v;
      }
    }
    return Optional.empty();
  }

  @Override
  public Optional<Veto> onAnswer(GatewayRequest request, Translated answer) {
    for (ExchangeObserver o : observers) {
      Optional<Veto> v = o.onAnswer(request, answer);
      if (v.isPresent()) {
        return v;
      }
    }
    return Optional.empty();
  }

  @Override
  public Optional<Veto> onStreamPayload(GatewayRequest request, StreamChunk payload) {
    for (ExchangeObserver o : observers) {
      Optional<Veto> v = o.onStreamPayload(request, payload);
      if (v.isPresent()) {
        return v;
      }
    }
    return Optional.empty();
  }

  @Override
  public Optional<Veto> onStreamEnd(GatewayRequest request) {
    for (ExchangeObserver o : observers) {
      Optional<Veto> v = o.onStreamEnd(request);
      if (v.isPresent()) {
        return v;
      }
    }
    return Optional.empty();
  }

  @Override
  public void onStreamCut(GatewayRequest request) {
    for (ExchangeObserver o : observers) {
      o.onStreamCut(request);
    }
  }
}
