package dev.parapet.runtime.stream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.redact.OutputScanner;
import dev.parapet.core.redact.Redactor;
import dev.parapet.core.store.EventKind;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.policy.EnforcementEvents;
import dev.parapet.runtime.policy.OutputTally;
import dev.parapet.runtime.provider.AnswerFields;
import dev.parapet.runtime.provider.ChunkSummary;
import dev.parapet.runtime.provider.StreamChunk;
import dev.parapet.runtime.provider.Translated;
import dev.parapet.runtime.provider.Usage;
import dev.parapet.runtime.stream.AnswerTexts.TextAt;
import dev.parapet.runtime.upstream.ExchangeObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The stream guard, one per request, on the answer side of the upstream stage (an {@link
 * ExchangeObserver}: it sees each translated OpenAI chunk before the caller does). It counts
 * output tokens from {@code choices[].delta.content} (a string, or the text of parts), {@code
 * refusal}, tool-call arguments (a
 * custom tool's input) and the
 * reasoning OpenAI-compatible servers stream ({@code reasoning_content}, {@code reasoning}) (all
 * billed output) with the route model's counter, into the
 * request's {@link OutputTally} (what the budget settles on when no usage was reported), and cuts
 * the stream — one {@code stream_truncated} SSE event, {@code data: [DONE]}, the provider
 * connection closed (SPEC §4) — when
 *
 * <ul>
 *   <li>the count passes the route's {@code max_tokens_out} (a provider ignoring the cap we sent).
 *       Deltas are held uncounted while their UTF-8 bytes (an upper bound on their tokens) cannot
 *       reach the cap, then counted together; near the cap each delta is counted on its own, which
 *       can only over-count a token split across deltas, so a provider that honours
 *       {@code max_tokens} is never cut. Where the count is an estimate (anthropic and local
 *       routes: {@link TokenCounter#isEstimate}), it is made to over-count, so it could pass the cap
 *       on an answer the provider kept within it: there the guard cuts only past twice the cap
 *       ({@value #ESTIMATE_SLACK}×), which no tokenizer's difference explains and a provider
 *       ignoring the cap soon reaches. Whatever is still uncounted when the call ends is
 *       counted only if the settlement needs it (no usage reported): see {@link OutputTally};
 *   <li>{@code scan_output: true} and the {@link OutputScanner} finds a pattern in the deltas,
 *       including one split across chunks (each choice's apart: see {@link ChoiceScan}): their text,
 *       reasoning, refusals and tool-call arguments (a custom tool's input), and every string in
 *       fields nobody reads, in a delta, beside it or beside the choices, and in a tool call beside
 *       its arguments (a tool's name) ({@link ChunkSummary.Choice#unknownText}, {@link
 *       ChunkSummary#unknownText}; scanned and never counted). Text before the match's last delta has already
 *       reached the caller: the guard stops the leak, it cannot take back the beginning.
 * </ul>
 *
 * <p><b>Whole answers under {@code scan_output}.</b> The answer is complete before the caller
 * sees a byte, so the route's {@code mode} decides: {@code block} refuses with 422 {@code
 * redaction_blocked} naming the pattern; {@code warn} (and {@code off}) replaces each match in
 * {@code choices[].message.content}, its reasoning, {@code refusal}, every tool call's {@code
 * arguments} (a custom tool's {@code input}) and every string in fields nobody reads ({@link
 * AnswerFields}) or in a tool call beside its arguments (its name: a model may invent one) with {@code
 * [REDACTED:<PATTERN>]}. Both record an event with
 * pattern names and counts only. The walk that finds those texts where they stand, and scans or
 * scrubs them, is {@link AnswerTexts}.
 *
 * <p><b>JSON answers.</b> Tool-call arguments are JSON the caller's SDK parses, so their escapes
 * (<code>&#92;u0040</code>) are read as it reads them, decoded ({@code ToolArguments} whole,
 * {@code ArgumentsDecoder} streamed). A call that asked for a JSON answer ({@link #asksForJson})
 * gets the same reading of its {@code content}: a whole answer's is scanned decoded and under
 * {@code warn} scrubbed in its plain form; a stream's is scanned as written and decoded. Other
 * answers' content is text, scanned as written, once.
 */
public final class StreamGuard implements ExchangeObserver {
  private final GatewayRequest request;
  private final OutputTally tally;
  private final EnforcementEvents events;
  private final TokenCounter counter;
  /** The route's output patterns, or null when its answers are not scanned. */
  private final Redactor outputRedactor;
  /**
   * Whether the call asked for a JSON answer ({@link #asksForJson}): its {@code content} is JSON
   * text the caller parses, so under {@code scan_output} it is also scanned decoded, as tool-call
   * arguments are. Other answers' content is text, scanned as written, once.
   */
  private final boolean jsonAnswer;
  /**
   * Made with the first text beside a chunk's choices ({@link ChunkSummary#unknownText}); a
   * choice's own texts have scanners of their own ({@link ChoiceScan}).
   */
  private OutputScanner topScanner;
  private final int maxTokensOut;
  /** The count past which a choice is cut: the cap, or {@link #ESTIMATE_SLACK} times it for an estimate. */
  private final long cutAbove;
  /**
   * How far an estimated count may pass {@code max_tokens_out} before the guard cuts: the estimate
   * (cl100k × 5/4) over-counts a tokenizer as efficient as cl100k by a quarter, and one half as
   * efficient again would still not reach twice the cap on an answer within it.
   */
  static final int ESTIMATE_SLACK = 2;
  /** Texts held uncounted below this many chars per choice; a longer run is counted at once. */
  static final int PENDING_CHARS = 8 * 1024;

  // Output per choice index: max_tokens applies to each of n choices, the bill to all.
  private Map<Integer, ChoiceScan> choices;
  /**
   * The chunks shown so far ({@link #onStreamPayload}): each scanned text remembers what it held
   * back as the latest came ({@link ChoiceScan.Scanned}, told this count on each call), for a chunk
   * the stream is cut on never reaches the caller.
   */
  private long chunks;
  /** A chunk is being checked: true until its check returns (an observer's bug may leave it unsent). */
  private boolean checking;
  /** This stream's {@code stream_truncated} event is recorded: one per stream, later matches are noted. */
  private boolean truncationRecorded;
  /** Between {@link #onAway} and {@link #onBack}; and the matches held then (null: none). */
  private boolean lentAway;
  private List<RedactionPattern> heldWhenAway;

  public StreamGuard(GatewayRequest request, OutputTally tally, EnforcementEvents events) {
    this.request = Objects.requireNonNull(request, "request");
    this.tally = Objects.requireNonNull(tally, "tally");
    this.events = Objects.requireNonNull(events, "events");
    Route route = request.route();
    this.counter = TokenCounter.forModel(route.provider().type(), route.provider().model());
    RedactionPolicy redaction = route.policy().redaction();
    this.outputRedactor = redaction.scansAnswers() ? Redactor.forPatterns(redaction.patterns()) : null;
    this.jsonAnswer = outputRedactor != null && request.hasBody() && asksForJson(request.body());
    this.maxTokensOut = route.policy().maxTokensOut();
    this.cutAbove = counter.isEstimate() ? (long) ESTIMATE_SLACK * maxTokensOut : maxTokensOut;
  }

  /**
   * Whether {@code body} asks for a JSON answer: a {@code response_format} other than {@code
   * text} ({@code json_object}, {@code json_schema}; an anthropic route asks for it with a forced
   * tool or {@code output_config.format} and translates the answer back into {@code content}).
   * A type Parapet does not know counts too (fail closed: it costs a second scan, no more).
   */
  static boolean asksForJson(JsonNode body) {
    JsonNode format = body.get("response_format");
    return format != null && !format.isNull() && !"text".equals(format.path("type").asText());
  }

  @Override
  public Optional<Veto> beforeAnswer(GatewayRequest r, Optional<String> reportedModel) {
    tally.answered();
    return Optional.empty();
  }

  /**
   * The tally is counted into on a policy thread: a settlement waits for it (see OutputTally#lend).
   * A stream's caller has received every chunk shown so far: what its texts hold at their end is
   * kept, for a caller who leaves while the event that went away never reaches it ({@link
   * #onStreamEnd} before {@link #onBack}).
   */
  @Override
  public void onAway() {
    tally.lend();
    lentAway = true;
    heldWhenAway = null;
    if (outputRedactor != null && choices != null) {
      for (ChoiceScan c : choices.values()) {
        heldWhenAway = c.held(heldWhenAway);
      }
    }
  }

  @Override
  public void onBack() {
    lentAway = false;
    heldWhenAway = null;
    tally.giveBack();
  }

  /**
   * A 2xx answer that could not be read (too large, malformed, cut off after its head): the
   * provider billed it and nothing of what it billed is known, so the tally reports output no count
   * can read and the settlement charges the worst case, as for a timeout, rather than releasing the
   * hold. Else an answer made too large to read ({@code n} × {@code top_logprobs}) would be a free
   * call, again and again.
   */
  @Override
  public void onUnreadableAnswer() {
    tally.uncountedOutput();
  }

  /** The provider answered, with an error: the settlement charges what was seen, prompt included. */
  @Override
  public void onProviderError() {
    tally.answered();
  }

  @Override
  public Optional<Veto> onStreamPayload(GatewayRequest r, StreamChunk payload) {
    chunks++;
    checking = true;
    Optional<Veto> veto = check(payload);
    checking = false;
    return veto;
  }

  private Optional<Veto> check(StreamChunk payload) {
    if (payload.isUncountedOutput()) {
      tally.uncountedOutput();
      return Optional.empty();
    }
    // Text beside the choices reaches the caller too: scanned, never counted. Each chunk's is whole,
    // so a match held back for what could follow (a card number's next digits) is reported at once.
    String top = payload.summary().unknownText();
    if (outputRedactor != null && !top.isEmpty()) {
      if (topScanner == null) {
        topScanner = new OutputScanner(outputRedactor);
      }
      Optional<RedactionPattern> match = topScanner.feed(top).or(topScanner::finish);
      if (match.isPresent()) {
        return Optional.of(cutOnPattern(match.get()));
      }
    }
    long longest = 0;
    for (ChunkSummary.Choice choice : payload.summary().choices()) {
      String delta = choice.content().orElse("");
      String other = choice.otherText(); // reasoning, refusal, tool-call arguments: billed and seen like text
      String hidden = choice.hiddenText(); // thinking: billed, never seen, so counted and not scanned
      if (!delta.isEmpty() || !other.isEmpty() || !hidden.isEmpty()) {
        ChoiceScan c = choice(choice.index());
        c.append(delta);
        c.append(other);
        c.append(hidden);
        if (c.mayPass() || c.pending.length() > PENDING_CHARS) {
          tally.add(c.count());
        }
        longest = Math.max(longest, c.counted);
        if (outputRedactor != null) {
          Optional<RedactionPattern> match = delta.isEmpty() ? Optional.empty() : c.textScanner().feed(delta, chunks);
          if (match.isEmpty() && jsonAnswer && !delta.isEmpty()) {
            match = c.feedDecodedText(delta, chunks);
          }
          if (match.isEmpty() && !other.isEmpty()) {
            match = c.otherScanner().feed(other, chunks);
          }
          if (match.isEmpty() && !choice.arguments().isEmpty()) {
            match = c.feedDecoded(choice.arguments(), chunks);
          }
          if (match.isPresent()) {
            return Optional.of(cutOnPattern(match.get()));
          }
        }
      }
      // Text in fields nobody reads still reaches the caller: scanned, never counted (it may not be billed).
      if (outputRedactor != null && !choice.unknownText().isEmpty()) {
        Optional<RedactionPattern> match = choice(choice.index()).unknownScanner().feed(choice.unknownText(), chunks);
        if (match.isPresent()) {
          return Optional.of(cutOnPattern(match.get()));
        }
      }
      ChoiceScan ended = choice.finished() && choices != null ? choices.get(choice.index()) : null;
      if (ended != null) {
        Optional<RedactionPattern> held = ended.finish(chunks);
        if (held.isPresent()) {
          return Optional.of(cutOnPattern(held.get()));
        }
      }
    }
    if (longest > cutAbove) {
      truncationRecorded = true;
      events.record(request, EventKind.STREAM_TRUNCATED,
          Map.of("reason", "max_tokens_out", "output_tokens", Long.toString(longest)));
      return Optional.of(new Veto(ParapetError.STREAM_TRUNCATED,
          "the answer passed max_tokens_out " + maxTokensOut + " of route " + request.route().name()
              + (counter.isEstimate() ? " (an estimated " + longest + " tokens: more than " + ESTIMATE_SLACK
                  + " times the cap)" : "")));
    }
    return Optional.empty();
  }

  /**
   * The stream ends ({@code [DONE]}, the provider broke it off, or the caller left): every choice is finished as its
   * {@code finish_reason} finishes it, for a stream may end without one ({@code [DONE]} right
   * after the last delta, a usage-only chunk then {@code [DONE]}): a CREDIT_CARD or IPV4 match
   * held at the very end is reported, the stream cut before its {@code [DONE]}. A choice that was
   * finished already reports nothing new. Every text of every choice is decided, not only the
   * first that holds a match: the first match is the stream's event (and veto), the others, which
   * reached the caller too, are noted on its row. Should the last chunk's check have thrown (an
   * observer's bug: that chunk was never sent), what is decided is the text before it.
   */
  @Override
  public Optional<Veto> onStreamEnd(GatewayRequest r) {
    if (outputRedactor == null || choices == null) {
      return Optional.empty();
    }
    List<RedactionPattern> held = new ArrayList<>(0);
    if (lentAway) { // the caller left while the event that went away was worked on: it never got it
      if (heldWhenAway != null) {
        held.addAll(heldWhenAway);
      }
    } else {
      for (ChoiceScan c : choices.values()) {
        c.decide(checking, chunks, held);
      }
    }
    if (held.isEmpty()) {
      return Optional.empty();
    }
    held.forEach(this::noteHeld); // the first is the stream's event, unless one was recorded
    return Optional.of(patternVeto(held.get(0)));
  }

  /**
   * The stream is cut on the chunk last shown ({@link ExchangeObserver#onStreamCut}): that chunk never
   * reaches the caller, what came before it did. A match held back at the end of any text as it
   * stood before that chunk (a card number in another choice, or in this choice's reasoning) was
   * received whole and is decided now: noted on the row. The cut's own event is the stream's one
   * {@code stream_truncated} event (the first veto); a chunk's text changes nothing here — digits
   * that would have made the held card an order number never reached the caller either.
   */
  @Override
  public void onStreamCut(GatewayRequest r) {
    if (outputRedactor == null || choices == null) {
      return;
    }
    List<RedactionPattern> held = new ArrayList<>(0);
    for (ChoiceScan c : choices.values()) {
      c.decide(true, chunks, held);
    }
    held.forEach(this::noteHeld);
  }

  /**
   * A held match decided after this stream's event: noted on the row as the event would note it
   * ({@link EnforcementEvents#note}), kept once; no second event (one {@code stream_truncated}
   * per stream), unless none was recorded yet.
   */
  private void noteHeld(RedactionPattern pattern) {
    if (!truncationRecorded) {
      cutOnPattern(pattern);
      return;
    }
    request.note(EnforcementEvents.note(EventKind.STREAM_TRUNCATED,
        Map.of("reason", "scan_output", "pattern", pattern.name())));
  }

  private ChoiceScan choice(int index) {
    if (choices == null) {
      choices = new HashMap<>(2);
      tally.defer(this::countDeferred);
    }
    ChoiceScan choice = choices.get(index); // called per delta: no capturing lambda to allocate
    if (choice == null) {
      choice = new ChoiceScan(counter, outputRedactor, cutAbove);
      choices.put(index, choice);
    }
    return choice;
  }

  /** Counts what is still held (the settlement of a call without usage asked): once. */
  private long countDeferred() {
    long n = 0;
    if (choices != null) {
      for (ChoiceScan c : choices.values()) {
        n += c.count();
      }
    }
    return n;
  }

  private Veto cutOnPattern(RedactionPattern pattern) {
    truncationRecorded = true;
    events.record(request, EventKind.STREAM_TRUNCATED, Map.of("reason", "scan_output", "pattern", pattern.name()));
    return patternVeto(pattern);
  }

  private static Veto patternVeto(RedactionPattern pattern) {
    return new Veto(ParapetError.STREAM_TRUNCATED, "the answer matched output pattern " + pattern.name());
  }

  /**
   * What the text work on a whole answer found ({@link #prepareAnswer}), for {@link #onAnswer} to
   * act on.
   *
   * @param outputTokens the answer's text as counted, or 0 when the provider reported usage
   * @param carried the output the provider billed: its usage's, else {@code outputTokens}
   * @param blockedBy the first output pattern matched, on a route that blocks
   * @param redacted the matches replaced per pattern name, on a route that scrubs
   */
  private record WholeAnswer(long outputTokens, long carried, Optional<String> blockedBy,
      Map<String, Integer> redacted) {}

  /** Written by {@link #prepareAnswer} (maybe on a policy thread), read by {@link #onAnswer}. */
  private WholeAnswer whole;

  /**
   * A whole answer's text work, where it was read (off the loop when large): counts its text when
   * the provider reported no usage (the settlement charges that count; with usage, the provider's
   * own figure is the bill), and under {@code scan_output} scans it ({@code block}) or scrubs it
   * ({@code warn}, {@code off}) in the answer itself. Nothing is recorded here: {@link #onAnswer}
   * does, once the answer got past the drift check. Should the caller leave before that, the
   * settlement charges what the answer carried: the tally, lent here while off the loop, holds it
   * deferred.
   */
  @Override
  public void prepareAnswer(GatewayRequest r, Translated answer) {
    List<TextAt> texts = AnswerTexts.outputTexts(answer, jsonAnswer);
    long tokens = 0;
    if (answer.usage().isEmpty()) { // before any scrub: the provider's text is what it charges
      for (TextAt at : texts) {
        tokens += counter.count(at.text());
      }
    }
    Optional<String> blockedBy = Optional.empty();
    Map<String, Integer> redacted = Map.of();
    if (outputRedactor != null) {
      // what the caller also receives in fields nobody reads: scanned with the texts, not counted
      texts.addAll(AnswerTexts.unknownTexts(answer));
      if (request.route().policy().redaction().mode() == RedactionMode.BLOCK) {
        blockedBy = AnswerTexts.splitParts(outputRedactor, answer, null, jsonAnswer)
            .or(() -> AnswerTexts.firstMatch(outputRedactor, texts));
      } else {
        Map<String, Integer> counts = new LinkedHashMap<>();
        AnswerTexts.splitParts(outputRedactor, answer, counts, jsonAnswer); // first: it empties the strings it joins
        redacted = AnswerTexts.scrub(outputRedactor, answer, texts, counts);
      }
    }
    long carried = answer.usage().map(Usage::completionTokens).orElse(tokens);
    whole = new WholeAnswer(tokens, carried, blockedBy, redacted);
    tally.defer(this::carriedUnanswered);
  }

  /** What a prepared answer carried, for a settlement that comes before {@link #onAnswer} (once). */
  private long carriedUnanswered() {
    WholeAnswer w = whole;
    whole = null;
    return w == null ? 0 : w.carried();
  }

  @Override
  public Optional<Veto> onAnswer(GatewayRequest r, Translated answer) {
    if (whole == null) {
      prepareAnswer(r, answer); // a caller that skipped it: the work is done here, on the loop
    }
    WholeAnswer w = whole;
    whole = null;
    tally.add(w.outputTokens()); // also marks the answer seen
    if (w.blockedBy().isPresent()) {
      String pattern = w.blockedBy().get();
      events.record(request, EventKind.REDACTION_BLOCKED, Map.of("pattern", pattern, "where", "answer"));
      return Optional.of(new Veto(ParapetError.REDACTION_BLOCKED,
          "the answer matches redaction pattern " + pattern + " and route " + request.route().name()
              + " blocks it"));
    }
    if (!w.redacted().isEmpty()) {
      Map<String, String> fields = new LinkedHashMap<>();
      w.redacted().forEach((p, n) -> fields.put(p, Integer.toString(n)));
      fields.put("where", "answer");
      events.record(request, EventKind.REDACTED, fields);
    }
    return Optional.empty();
  }
}
