package dev.parapet.runtime.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.Route;
import dev.parapet.core.tokens.TokenCounter;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The built-in offline {@code echo} provider (SPEC §2): answers in-process with the last user
 * message's text and never opens a socket. It reports usage like a real provider, counted with
 * the route's {@link TokenCounter}, so budgets, caps and telemetry behave as in production; it
 * honours {@code max_tokens} by cutting the echo at that many tokens ({@code finish_reason:
 * length}). Everything but {@code id} and {@code created} is deterministic. Thread-safe.
 */
public final class EchoResponder {
  private final Clock clock;
  private final Supplier<String> ids;

  public EchoResponder() {
    this(Clock.systemUTC(), () -> "chatcmpl-echo-" + UUID.randomUUID().toString().replace("-", ""));
  }

  EchoResponder(Clock clock, Supplier<String> ids) {
    this.clock = clock;
    this.ids = ids;
  }

  /** The answer as a complete OpenAI {@code chat.completion}. */
  public Translated answer(Route route, ObjectNode request) {
    Answer a = compute(route, request);
    ObjectNode body = OpenAiChunks.completion(
        ids.get(), now(), a.model, a.text, a.finishReason, a.usage);
    return new Translated(body, Optional.of(a.model), Optional.of(a.usage), Optional.empty());
  }

  /**
   * The same answer as the {@code data:} payloads of an OpenAI stream: the role chunk, the text
   * word by word, the finish chunk, the usage chunk if {@code includeUsage}, then {@code [DONE]}.
   */
  public List<StreamChunk> streamPayloads(Route route, ObjectNode request, boolean includeUsage) {
    return stream(route, request, includeUsage).payloads();
  }

  /** A streamed echo: its payloads ({@link #streamPayloads}), and the model and usage it reports. */
  public record Stream(List<StreamChunk> payloads, String model, Usage usage) {}

  /** The streamed echo, computed once (the prompt counted once). */
  public Stream stream(Route route, ObjectNode request, boolean includeUsage) {
    Answer a = compute(route, request);
    OpenAiChunks chunks = new OpenAiChunks(ids.get(), now(), a.model);
    List<StreamChunk> payloads = new ArrayList<>();
    payloads.add(chunks.role());
    for (String piece : words(a.text)) {
      payloads.add(chunks.content(piece));
    }
    payloads.add(chunks.finish(a.finishReason));
    if (includeUsage) {
      payloads.add(chunks.usage(a.usage));
    }
    payloads.add(StreamChunk.DONE);
    return new Stream(payloads, a.model, a.usage);
  }

  private record Answer(String model, String text, String finishReason, Usage usage) {}

  private Answer compute(Route route, ObjectNode request) {
    String model = route.provider().model();
    TokenCounter counter = TokenCounter.forModel(route.provider().type(), model);
    String text = ChatMessages.lastUser(request)
        .map(m -> ChatMessages.text(m.get("content")))
        .orElse("");
    String finishReason = "stop";
    Optional<Integer> cap = ChatMessages.maxOutputTokens(request);
    if (cap.isPresent() && counter.count(text) > cap.get()) {
      text = counter.truncate(text, cap.get());
      finishReason = "length";
    }
    int prompt = counter.countMessages(ChatMessages.texts(request));
    Usage usage = new Usage(prompt, counter.count(text));
    return new Answer(model, text, finishReason, usage);
  }

  /**
   * Splits before each run of whitespace, as a provider's tokens fall: "a b  c" gives "a", " b",
   * "  c"; joins back exactly. The BPEs split text before a space, never after it (" b" is a
   * token, "a " is two), so each piece counted on its own sums to what the whole counts, as the
   * stream guard counts deltas near {@code max_tokens_out}: splitting after the spaces made it
   * count two tokens a word and cut an echo the cap had already shortened.
   */
  static List<String> words(String text) {
    List<String> pieces = new ArrayList<>();
    int start = 0;
    int n = text.length();
    for (int i = 1; i < n; i++) {
      if (Character.isWhitespace(text.charAt(i)) && !Character.isWhitespace(text.charAt(i - 1))) {
        pieces.add(text.substring(start, i));
        start = i;
      }
    }
    if (start < n) {
      pieces.add(text.substring(start));
    }
    return pieces;
  }

  private long now() {
    return clock.instant().getEpochSecond();
  }
}
