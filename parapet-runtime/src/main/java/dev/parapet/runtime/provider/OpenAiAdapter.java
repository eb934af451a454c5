package dev.parapet.runtime.provider;

import dev.parapet.core.config.ProviderType;

/** {@code type: openai}: api.openai.com (or an https base_url speaking the same API). */
public final class OpenAiAdapter extends OpenAiCompatibleAdapter {
  @Override
  public ProviderType type() {
    return ProviderType.OPENAI;
  }
}
