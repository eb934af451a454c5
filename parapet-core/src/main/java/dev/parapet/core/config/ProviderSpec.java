package dev.parapet.core.config;

import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The provider and model a route is pinned to ({@code routes[].provider}).
 *
 * @param baseUrl the upstream base, already defaulted for openai/anthropic; empty only for echo
 * @param pricing the route's override of the built-in price table, if any
 * @param timeoutMs response timeout for one call; the runtime also derives its connect timeout
 */
public record ProviderSpec(
    ProviderType type,
    String model,
    Optional<String> providerKeyRef,
    Optional<URI> baseUrl,
    List<String> allowedResponseModels,
    Optional<Pricing> pricing,
    int timeoutMs) {

  public static final int DEFAULT_TIMEOUT_MS = 60_000;

  public ProviderSpec {
    Objects.requireNonNull(type, "type");
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("model: required");
    }
    Objects.requireNonNull(providerKeyRef, "providerKeyRef");
    providerKeyRef.ifPresent(r -> Names.requireMatch(Names.SECRET_REF, "provider_key_ref", r));
    Objects.requireNonNull(baseUrl, "baseUrl");
    allowedResponseModels = List.copyOf(allowedResponseModels);
    Objects.requireNonNull(pricing, "pricing");
    if (timeoutMs < 1) {
      throw new IllegalArgumentException("timeout_ms: " + timeoutMs + " (expected: >= 1)");
    }
  }
}
