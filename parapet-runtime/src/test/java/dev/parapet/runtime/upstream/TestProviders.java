package dev.parapet.runtime.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import dev.parapet.core.seal.SecretValue;
import dev.parapet.runtime.provider.InvalidRequestException;
import dev.parapet.runtime.provider.ProviderAdapter;
import dev.parapet.runtime.provider.ProviderProtocolException;
import dev.parapet.runtime.provider.SseEvent;
import dev.parapet.runtime.provider.StreamTranslator;
import dev.parapet.runtime.provider.Translated;
import dev.parapet.runtime.provider.UpstreamCall;
import dev.parapet.runtime.provider.Usage;
import dev.parapet.runtime.stream.SseFeed;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Test doubles for the provider layer (the real adapters, SSE parser and echo responder are built
 * by the providers engineer): an OpenAI-compatible adapter that passes bodies through, a minimal
 * SSE decoder, and an echo provider.
 */
final class TestProviders {
  static final ObjectMapper JSON = new ObjectMapper();

  private TestProviders() {}

  static UpstreamProviders create() {
    return new UpstreamProviders(type -> new OpenAiPassthrough(), new Echo(), LineSse::new);
  }

  /** OpenAI wire format both ways: the body goes as is, the answer comes back as is. */
  static final class OpenAiPassthrough implements ProviderAdapter {
    @Override
    public ProviderType type() {
      return ProviderType.OPENAI;
    }

    @Override
    public UpstreamCall toUpstream(Route route, ObjectNode request, Optional<SecretValue> key)
        throws InvalidRequestException {
      if (request.has("n")) {
        throw new InvalidRequestException("n: not supported by this provider");
      }
      URI base = route.provider().baseUrl().orElseThrow();
      try {
        return new UpstreamCall(URI.create(base + "/chat/completions"),
            Map.of("authorization", "Bearer " + key.orElseThrow().reveal(), "content-type", "application/json"),
            JSON.writeValueAsBytes(request));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public Translated translateResponse(Route route, ObjectNode body) throws ProviderProtocolException {
      if (!body.has("choices")) {
        throw new ProviderProtocolException("no choices");
      }
      return new Translated(body, Optional.ofNullable(body.path("model").textValue()), usage(body), Optional.empty());
    }

    @Override
    public StreamTranslator newStreamTranslator(Route route, boolean callerWantsUsage) {
      return new OpenAiChunks();
    }
  }

  static Optional<Usage> usage(JsonNode body) {
    JsonNode u = body.path("usage");
    return u.isObject() ? Optional.of(new Usage(u.path("prompt_tokens").asLong(), u.path("completion_tokens").asLong()))
        : Optional.empty();
  }

  /** OpenAI chunks pass as they are; {@code [DONE]} ends the stream. */
  static final class OpenAiChunks implements StreamTranslator {
    private boolean finished;
    private Optional<String> model = Optional.empty();
    private Optional<Usage> usage = Optional.empty();
    private long chars;

    @Override
    public List<String> onEvent(SseEvent event) throws ProviderProtocolException {
      if (event.data().equals("[DONE]")) {
        finished = true;
        return List.of("[DONE]");
      }
      JsonNode chunk;
      try {
        chunk = JSON.readTree(event.data());
      } catch (IOException e) {
        throw new ProviderProtocolException("chunk is not JSON");
      }
      if (chunk.has("model")) {
        model = Optional.of(chunk.get("model").asText());
      }
      if (TestProviders.usage(chunk).isPresent()) {
        usage = TestProviders.usage(chunk);
      }
      chars += chunk.path("choices").path(0).path("delta").path("content").asText("").length();
      return List.of(event.data());
    }

    @Override
    public boolean finished() {
      return finished;
    }

    @Override
    public Optional<String> reportedModel() {
      return model;
    }

    @Override
    public Optional<Usage> usage() {
      return usage;
    }

    @Override
    public long outputChars() {
      return chars;
    }

    @Override
    public Optional<String> systemFingerprint() {
      return Optional.empty();
    }
  }

  /** Just enough of WHATWG HTML §9.2.6 for tests: data lines, blank line dispatches. */
  static final class LineSse implements SseFeed {
    private final StringBuilder line = new StringBuilder();
    private final List<String> data = new ArrayList<>();

    @Override
    public void feed(ByteBuf in, Consumer<SseEvent> out) {
      String s = in.toString(StandardCharsets.UTF_8);
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c != '\n') {
          line.append(c);
          continue;
        }
        String l = line.toString();
        line.setLength(0);
        if (l.isEmpty()) {
          if (!data.isEmpty()) {
            out.accept(SseEvent.data(String.join("\n", data)));
            data.clear();
          }
        } else if (l.startsWith("data:")) {
          data.add(l.substring(l.startsWith("data: ") ? 6 : 5));
        }
      }
    }
  }

  /** Echoes the last message's content. */
  static final class Echo implements UpstreamProviders.Echo {
    @Override
    public Translated answer(Route route, ObjectNode request) {
      String text = lastMessage(request);
      ObjectNode body = JSON.createObjectNode().put("object", "chat.completion").put("model", route.provider().model());
      body.putArray("choices").addObject().putObject("message").put("role", "assistant").put("content", text);
      body.putObject("usage").put("prompt_tokens", 3).put("completion_tokens", 2);
      return new Translated(body, Optional.of(route.provider().model()), Optional.of(new Usage(3, 2)), Optional.empty());
    }

    @Override
    public List<String> streamPayloads(Route route, ObjectNode request, boolean includeUsage) {
      String text = lastMessage(request);
      return List.of(
          "{\"model\":\"" + route.provider().model() + "\",\"choices\":[{\"delta\":{\"content\":\"" + text + "\"}}]}",
          "{\"model\":\"" + route.provider().model() + "\",\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}",
          "[DONE]");
    }

    private static String lastMessage(ObjectNode request) {
      JsonNode messages = request.path("messages");
      return messages.path(messages.size() - 1).path("content").asText("");
    }
  }
}
