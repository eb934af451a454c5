package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ProviderType;
import java.util.EnumMap;
import java.util.Map;

/**
 * The adapters by provider type. Adding a provider is one {@link ProviderAdapter} class and one
 * line here. {@code echo} is not an adapter: it never goes upstream, {@link EchoResponder} answers
 * it in-process.
 */
public final class Providers {
  private static final Map<ProviderType, ProviderAdapter> ADAPTERS = new EnumMap<>(ProviderType.class);

  static {
    register(new OpenAiAdapter());
    register(new AnthropicAdapter());
    register(new LocalAdapter());
  }

  private Providers() {}

  private static void register(ProviderAdapter adapter) {
    ADAPTERS.put(adapter.type(), adapter);
  }

  /**
   * The (stateless, shared) adapter for {@code type}.
   *
   * @throws IllegalArgumentException for {@link ProviderType#ECHO}, which has no upstream
   */
  public static ProviderAdapter forType(ProviderType type) {
    ProviderAdapter adapter = ADAPTERS.get(type);
    if (adapter == null) {
      throw new IllegalArgumentException(
          "provider type " + type.yamlName() + " has no upstream adapter (echo answers locally)");
    }
    return adapter;
  }

  /** Whether an OpenAI-shape request asks for a streamed answer ({@code "stream": true}). */
  public static boolean isStreaming(ObjectNode request) {
    JsonNode stream = request.get("stream");
    return stream != null && stream.isBoolean() && stream.booleanValue();
  }

  /**
   * Whether the caller itself asked for the usage chunk ({@code stream_options.include_usage:
   * true}); Parapet always asks the provider for it, and drops it again when the caller did not.
   */
  public static boolean callerWantsUsage(ObjectNode request) {
    JsonNode include = request.path("stream_options").get("include_usage");
    return include != null && include.isBoolean() && include.booleanValue();
  }
}
