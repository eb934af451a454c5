package dev.parapet.runtime.upstream;

import dev.parapet.core.config.ProviderType;
import dev.parapet.runtime.provider.EchoResponder;
import dev.parapet.runtime.provider.ProviderAdapter;
import dev.parapet.runtime.provider.Providers;
import java.util.Objects;
import java.util.function.Function;

/**
 * What the upstream stage needs from the provider layer: the adapter per provider type and the
 * offline echo provider. A record rather than static calls so a test can put a double in.
 */
public record UpstreamProviders(Function<ProviderType, ProviderAdapter> adapters, EchoResponder echo) {

  public UpstreamProviders {
    Objects.requireNonNull(adapters, "adapters");
    Objects.requireNonNull(echo, "echo");
  }

  /** The real adapters ({@link Providers#forType}) and echo provider. */
  public static UpstreamProviders builtIn() {
    return new UpstreamProviders(Providers::forType, new EchoResponder());
  }
}
