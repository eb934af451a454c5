package dev.parapet.runtime.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.redact.OutputScanner;
import dev.parapet.core.redact.Redacted;
import dev.parapet.core.redact.Redactor;
import dev.parapet.core.redact.ScanResult;
import dev.parapet.core.store.EventKind;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.policy.EnforcementEvents;
import dev.parapet.runtime.policy.OutputTally;
import dev.parapet.runtime.provider.Translated;
import dev.parapet.runtime.upstream.ExchangeObserver;
import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The stream guard, one per request, on the answer side of the upstream stage (an {@link
 * ExchangeObserver}: it sees each translated OpenAI chunk before the caller does). It counts
 * output tokens from {@code choices[].delta.content} with the route model's counter, into the
 * request's {@link OutputTally} (what the budget settles on when no usage was reported), and cuts
 * the stream — one {@code stream_truncated} SSE event, {@code data: [DONE]}, the provider
 * connection closed (SPEC §4) — when
 *
 * <ul>
 *   <li>the count passes the route's {@code max_tokens_out} (a provider ignoring the cap we sent);
 *       deltas are counted one by one, which can only over-count a token split across deltas, so a
 *       provider that honours {@code max_tokens} is never cut;
 *   <li>{@code scan_output: true} and the {@link OutputScanner} finds a pattern in the deltas,
 *       including one split across chunks. Text before the match's last delta has already
 *       reached the caller: the guard stops the leak, it cannot take back the beginning.
 * </ul>
 *
 * <p><b>Whole answers under {@code scan_output}.</b> The answer is complete before the caller
 * sees a byte, so the route's {@code mode} decides: {@code block} refuses with 422 {@code
 * redaction_blocked} naming the pattern; {@code warn} (and {@code off}) replaces each match in
 * {@code choices[].message.content} with {@code [REDACTED:<PATTERN>]}. Both record an event with
 * pattern names and counts only.
 */
public final class StreamGuard implements ExchangeObserver {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final GatewayRequest request;
  private final OutputTally tally;
  private final EnforcementEvents events;
  private final TokenCounter counter;
  private final Optional<OutputScanner> scanner;
  private final int maxTokensOut;
  // Output tokens per choice index: max_tokens applies to each of n choices, the bill to all.
  private final Map<Integer, Long> perChoice = new HashMap<>();

  public StreamGuard(GatewayRequest request, OutputTally tally, EnforcementEvents events) {
    this.request = Objects.requireNonNull(request, "request");
    this.tally = Objects.requireNonNull(tally, "tally");
    this.events = Objects.requireNonNull(events, "events");
    Route route = request.route();
    this.counter = TokenCounter.forModel(route.provider().type(), route.provider().model());
    RedactionPolicy redaction = route.policy().redaction();
    this.scanner = redaction.scanOutput() && !redaction.patterns().isEmpty()
        ? Optional.of(new OutputScanner(Redactor.forPatterns(redaction.patterns()))) : Optional.empty();
    this.maxTokensOut = route.policy().maxTokensOut();
  }

  @Override
  public Optional<Veto> beforeAnswer(GatewayRequest r, Optional<String> reportedModel) {
    tally.answered();
    return Optional.empty();
  }

  @Override
  public Optional<Veto> onStreamPayload(GatewayRequest r, String payload) {
    JsonNode chunk;
    try {
      chunk = JSON.readTree(payload);
    } catch (IOException e) {
      return Optional.empty(); // the translator wrote it; nothing of ours to count
    }
    long longest = 0;
    for (JsonNode choice : chunk.path("choices")) {
      JsonNode content = choice.path("delta").get("content");
      if (content != null && content.isTextual() && !content.asText().isEmpty()) {
        String delta = content.asText();
        int tokens = counter.count(delta);
        tally.add(tokens);
        longest = Math.max(longest, perChoice.merge(choice.path("index").asInt(0), (long) tokens, Long::sum));
        Optional<RedactionPattern> match = scanner.flatMap(s -> s.feed(delta));
        if (match.isPresent()) {
          return Optional.of(cutOnPattern(match.get()));
        }
      }
      JsonNode finish = choice.get("finish_reason");
      if (finish != null && !finish.isNull() && scanner.isPresent()) {
        Optional<RedactionPattern> held = scanner.get().finish(); // a card or address at the very end
        if (held.isPresent()) {
          return Optional.of(cutOnPattern(held.get()));
        }
      }
    }
    if (longest > maxTokensOut) {
      events.record(request, EventKind.STREAM_TRUNCATED,
          Map.of("reason", "max_tokens_out", "output_tokens", Long.toString(longest)));
      return Optional.of(new Veto(ParapetError.STREAM_TRUNCATED,
          "the answer passed max_tokens_out " + maxTokensOut + " of route " + request.route().name()));
    }
    return Optional.empty();
  }

  private Veto cutOnPattern(RedactionPattern pattern) {
    events.record(request, EventKind.STREAM_TRUNCATED, Map.of("reason", "scan_output", "pattern", pattern.name()));
    return new Veto(ParapetError.STREAM_TRUNCATED, "the answer matched output pattern " + pattern.name());
  }

  @Override
  public Optional<Veto> onAnswer(GatewayRequest r, Translated answer) {
    tally.answered();
    for (JsonNode choice : answer.body().path("choices")) {
      JsonNode content = choice.path("message").get("content");
      if (content != null && content.isTextual()) {
        tally.add(counter.count(content.asText()));
      }
    }
    if (scanner.isEmpty()) {
      return Optional.empty();
    }
    RedactionPolicy redaction = request.route().policy().redaction();
    Redactor redactor = Redactor.forPatterns(redaction.patterns());
    return redaction.mode() == RedactionMode.BLOCK ? blockAnswer(redactor, answer) : scrubAnswer(redactor, answer);
  }

  private Optional<Veto> blockAnswer(Redactor redactor, Translated answer) {
    for (JsonNode choice : answer.body().path("choices")) {
      JsonNode content = choice.path("message").get("content");
      if (content != null && content.isTextual()) {
        ScanResult found = redactor.scan(content.asText());
        if (found.matched()) {
          String pattern = found.first().orElseThrow().name();
          events.record(request, EventKind.REDACTION_BLOCKED, Map.of("pattern", pattern, "where", "answer"));
          return Optional.of(new Veto(ParapetError.REDACTION_BLOCKED,
              "the answer matches redaction pattern " + pattern + " and route " + request.route().name()
                  + " blocks it"));
        }
      }
    }
    return Optional.empty();
  }

  private Optional<Veto> scrubAnswer(Redactor redactor, Translated answer) {
    Map<String, String> counts = new LinkedHashMap<>();
    for (JsonNode choice : answer.body().path("choices")) {
      if (choice.path("message") instanceof ObjectNode message && message.path("content").isTextual()) {
        Redacted r = redactor.redact(message.get("content").asText());
        if (!r.counts().isEmpty()) {
          answer.set(message, "content", TextNode.valueOf(r.text()));
          r.counts().forEach((p, n) -> counts.merge(p.name(), Integer.toString(n),
              (a, b) -> Integer.toString(Integer.parseInt(a) + Integer.parseInt(b))));
        }
      }
    }
    if (!counts.isEmpty()) {
      counts.put("where", "answer");
      events.record(request, EventKind.REDACTED, counts);
    }
    return Optional.empty();
  }
}
