package dev.parapet.runtime.provider;

import dev.parapet.core.config.ProviderType;

/**
 * {@code type: local}: an OpenAI-compatible server the operator runs (vLLM, Ollama, llama.cpp
 * server). Same wire format as OpenAI; {@code base_url} is required and the key optional (the
 * {@code authorization} header is sent only when the route has one).
 */
public final class LocalAdapter extends OpenAiCompatibleAdapter {
  @Override
  public ProviderType type() {
    return ProviderType.LOCAL;
  }
}
