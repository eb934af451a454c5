package dev.parapet.runtime.upstream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import dev.parapet.runtime.provider.ProviderAdapter;
import dev.parapet.runtime.provider.Translated;
import dev.parapet.runtime.stream.SseFeed;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What the upstream stage needs from the provider layer, as three plain seams so the stage can be
 * tested with doubles: the adapter per provider type ({@code Providers::forType}), the offline
 * echo provider ({@code EchoResponder}), and a fresh SSE decoder per streamed answer ({@code
 * () -> new SseParser()::feed}).
 */
public record UpstreamProviders(
    Function<ProviderType, ProviderAdapter> adapters, Echo echo, Supplier<SseFeed> sseDecoders) {

  public UpstreamProviders {
    Objects.requireNonNull(adapters, "adapters");
    Objects.requireNonNull(echo, "echo");
    Objects.requireNonNull(sseDecoders, "sseDecoders");
  }

  /** The built-in offline provider: answers without a socket. */
  public interface Echo {
    Translated answer(Route route, ObjectNode request);

    /** The {@code data:} payloads of the streamed answer, ending with {@code [DONE]}. */
    List<String> streamPayloads(Route route, ObjectNode request, boolean includeUsage);
  }
}
