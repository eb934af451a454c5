package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import dev.parapet.core.seal.SecretValue;
import java.util.Optional;

/**
 * {@code type: local}: an OpenAI-compatible server the operator runs (vLLM, Ollama, llama.cpp
 * server). Same wire format as OpenAI; {@code base_url} is required and the key optional (the
 * {@code authorization} header is sent only when the route has one). Only the body fields of
 * {@link LocalRequestFields} go up: the route stage refuses any other before anything is held, and
 * this checks again so that no path can forward one.
 */
public final class LocalAdapter extends OpenAiCompatibleAdapter {
  @Override
  public ProviderType type() {
    return ProviderType.LOCAL;
  }

  @Override
  public UpstreamCall toUpstream(Route route, ObjectNode request, Optional<SecretValue> providerKey)
      throws InvalidRequestException {
    LocalRequestFields.check(request);
    return super.toUpstream(route, request, providerKey);
  }
}
