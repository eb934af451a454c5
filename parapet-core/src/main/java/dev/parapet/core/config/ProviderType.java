package dev.parapet.core.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** The upstream a route is pinned to. The YAML spelling is the lower-case name. */
public enum ProviderType {
  OPENAI("https://api.openai.com/v1", true),
  ANTHROPIC("https://api.anthropic.com/v1", true),
  /** Any OpenAI-compatible server (vLLM, Ollama, llama.cpp); {@code base_url} is required. */
  LOCAL(null, false),
  /** Built-in offline provider: answers locally, never opens a socket. */
  ECHO(null, false);

  private final String defaultBaseUrl;
  private final boolean keyRequired;

  ProviderType(String defaultBaseUrl, boolean keyRequired) {
    this.defaultBaseUrl = defaultBaseUrl;
    this.keyRequired = keyRequired;
  }

  public String yamlName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public Optional<String> defaultBaseUrl() {
    return Optional.ofNullable(defaultBaseUrl);
  }

  /** Whether {@code provider_key_ref} must be given. */
  public boolean keyRequired() {
    return keyRequired;
  }

  /** Whether calls leave the process (everything but echo). */
  public boolean isRemote() {
    return this != ECHO;
  }

  public static Optional<ProviderType> fromYaml(String s) {
    return Arrays.stream(values()).filter(t -> t.yamlName().equals(s)).findFirst();
  }
}
