package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import dev.parapet.core.seal.SecretValue;
import java.util.Optional;

/**
 * Speaks one provider's wire format. Callers always speak OpenAI Chat Completions; an adapter
 * turns that into the provider's request and the provider's answer back into OpenAI shape.
 * Adding a provider means adding one implementation and registering it in {@link Providers}.
 * Implementations are stateless and thread-safe; per-stream state lives in a {@link StreamTranslator}.
 */
public interface ProviderAdapter {

  ProviderType type();

  /**
   * The upstream request for {@code request}, an OpenAI-shape body already normalised and policed
   * by the pipeline ({@code model} set to the route's pinned model, {@code max_tokens} capped).
   * The URL is built from the route's {@code base_url} only.
   *
   * @param providerKey the route's provider key, if it has one
   * @throws InvalidRequestException when the request uses something this provider cannot express
   */
  UpstreamCall toUpstream(Route route, ObjectNode request, Optional<SecretValue> providerKey)
      throws InvalidRequestException;

  /** Translates a complete 2xx provider body (parsed JSON) into OpenAI shape. */
  Translated translateResponse(Route route, ObjectNode upstreamBody) throws ProviderProtocolException;

  /**
   * A translator for one streamed answer.
   *
   * @param callerWantsUsage whether the caller itself asked for
   *     {@code stream_options.include_usage}; if not, a usage-only chunk Parapet requested for its
   *     own accounting is not passed on
   */
  StreamTranslator newStreamTranslator(Route route, boolean callerWantsUsage);
}
