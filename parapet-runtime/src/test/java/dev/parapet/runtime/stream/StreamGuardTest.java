package dev.parapet.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.store.EventKind;
import dev.parapet.core.store.EventRecord;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.policy.EnforcementEvents;
import dev.parapet.runtime.policy.OutputTally;
import dev.parapet.runtime.provider.StreamChunk;
import dev.parapet.runtime.provider.StreamChunks;
import dev.parapet.runtime.provider.Translated;
import dev.parapet.runtime.provider.Usage;
import dev.parapet.runtime.upstream.ExchangeObserver;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The guard alone, fed OpenAI chunks as the upstream stage would. */
class StreamGuardTest {
  private static GatewayRequest request(int maxOut, RedactionPolicy redaction) throws Exception {
    Route route = new Route("r", "prod", new ProviderSpec(ProviderType.OPENAI, "gpt-4o-2024-08-06",
        Optional.empty(), Optional.empty(), List.of(), Optional.empty(), 60_000),
        new Policy(6000, maxOut, BigDecimal.ONE, true, redaction));
    ObjectNode body = (ObjectNode) new ObjectMapper().readTree("{\"messages\":[]}");
    return new GatewayRequest("id", new Service("svc", "prod", List.of("r"), "T"), route, body, true, true, 0);
  }

  private static StreamChunk chunk(int index, String content) {
    return StreamChunks.parsed(
        "{\"choices\":[{\"index\":" + index + ",\"delta\":{\"content\":\"" + content + "\"},\"finish_reason\":null}]}");
  }

  @Test
  void maxTokensOutAppliesPerChoiceWhileTheTallyCountsThemAll() throws Exception {
    GatewayRequest r = request(3, RedactionPolicy.OFF);
    OutputTally tally = new OutputTally();
    List<EventRecord> events = new ArrayList<>();
    StreamGuard guard = new StreamGuard(r, tally, EnforcementEvents.into(events::add));
    for (int i = 0; i < 3; i++) {
      assertEquals(Optional.empty(), guard.onStreamPayload(r, chunk(0, " a")));
      assertEquals(Optional.empty(), guard.onStreamPayload(r, chunk(1, " b")));
    }
    assertEquals(6, tally.outputTokens());
    Optional<ExchangeObserver.Veto> cut = guard.onStreamPayload(r, chunk(1, " c"));
    assertEquals(ParapetError.STREAM_TRUNCATED, cut.orElseThrow().error());
    assertEquals(7, tally.outputTokens());
    assertEquals(EventKind.STREAM_TRUNCATED, events.get(0).kind());
  }

  @Test
  void aPatternSplitAcrossDeltasCutsAndTheEventNamesOnlyThePattern() throws Exception {
    GatewayRequest r = request(1000, new RedactionPolicy(RedactionMode.WARN, List.of(RedactionPattern.API_KEY), true));
    List<EventRecord> events = new ArrayList<>();
    StreamGuard guard = new StreamGuard(r, new OutputTally(), EnforcementEvents.into(events::add));
    assertFalse(guard.onStreamPayload(r, chunk(0, "key: sk-proj-AbCdEf")).isPresent());
    Optional<ExchangeObserver.Veto> cut = guard.onStreamPayload(r, chunk(0, "GhIjKlMnOpQrStUv done"));
    assertTrue(cut.isPresent());
    assertTrue(cut.get().message().contains("API_KEY"));
    assertFalse(events.get(0).details().toString().contains("AbCdEf"));
  }

  @Test
  void chunksWithoutTextOrNotJsonAreLeftAlone() throws Exception {
    GatewayRequest r = request(1, RedactionPolicy.OFF);
    OutputTally tally = new OutputTally();
    StreamGuard guard = new StreamGuard(r, tally, EnforcementEvents.NONE);
    assertFalse(guard.onStreamPayload(r, StreamChunks.parsed("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}")).isPresent());
    assertFalse(guard.onStreamPayload(r, StreamChunks.parsed("{\"choices\":[1,\"x\",null]}")).isPresent());
    assertFalse(guard.onStreamPayload(r, StreamChunks.parsed("{\"choices\":[{\"delta\":{\"content\":7}}]}")).isPresent());
    assertEquals(0, tally.outputTokens());
  }

  @Test
  void aProviderThatHonoursTheCapExactlyIsNeverCutAndEveryTokenIsTallied() throws Exception {
    int cap = 50;
    GatewayRequest r = request(cap, RedactionPolicy.OFF);
    OutputTally tally = new OutputTally();
    StreamGuard guard = new StreamGuard(r, tally, EnforcementEvents.NONE);
    TokenCounter counter = TokenCounter.forModel(ProviderType.OPENAI, "gpt-4o-2024-08-06");
    assertEquals(1, counter.count(" hello"), "the test's premise: one token per delta");
    for (int i = 0; i < cap; i++) {
      assertEquals(Optional.empty(), guard.onStreamPayload(r, chunk(0, " hello")), "cut at delta " + i);
    }
    assertEquals(cap, tally.outputTokens());
    assertTrue(guard.onStreamPayload(r, chunk(0, " hello")).isPresent(), "one token past the cap is cut");
  }

  @Test
  void outputFarFromTheCapIsCountedOnlyWhenTheTallyIsReadAndThenExactly() throws Exception {
    GatewayRequest r = request(100_000, RedactionPolicy.OFF);
    OutputTally tally = new OutputTally();
    StreamGuard guard = new StreamGuard(r, tally, EnforcementEvents.NONE);
    TokenCounter counter = TokenCounter.forModel(ProviderType.OPENAI, "gpt-4o-2024-08-06");
    StringBuilder all = new StringBuilder();
    String[] words = {"The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", "."};
    for (int i = 0; i < 3000; i++) { // ~17k chars: past the pending bound, so counted in parts too
      String w = words[i % words.length];
      all.append(w);
      assertEquals(Optional.empty(), guard.onStreamPayload(r, chunk(i % 2, w)));
    }
    long expected = 0;
    for (int c = 0; c < 2; c++) {
      StringBuilder one = new StringBuilder();
      for (int i = c; i < 3000; i += 2) {
        one.append(words[i % words.length]);
      }
      expected += counter.count(one.toString());
    }
    long tallied = tally.outputTokens();
    // Parts counted separately can only add tokens at a seam: never fewer than the whole.
    assertTrue(tallied >= expected && tallied <= expected + 8, tallied + " vs " + expected);
    assertEquals(tallied, tally.outputTokens(), "reading twice counts nothing twice");
  }

  private static Translated whole(String json, Optional<Usage> usage) throws Exception {
    return new Translated((ObjectNode) new ObjectMapper().readTree(json), Optional.empty(), usage, Optional.empty());
  }

  private static final String TWO_CHOICES =
      "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello there, world\"}},"
          + "{\"index\":1,\"message\":{\"role\":\"assistant\",\"content\":\" again\"}}]}";

  @Test
  void aWholeAnswerWithoutUsageIsCountedWhenPreparedAndTalliedWhenAnswered() throws Exception {
    GatewayRequest r = request(1000, RedactionPolicy.OFF);
    OutputTally tally = new OutputTally();
    StreamGuard guard = new StreamGuard(r, tally, EnforcementEvents.NONE);
    Translated answer = whole(TWO_CHOICES, Optional.empty());
    guard.prepareAnswer(r, answer);
    assertFalse(tally.sawAnswer(), "preparing touches no tally: the caller may leave meanwhile");
    // What onAnswer tallies is what prepareAnswer counted, not a count made now.
    ((ObjectNode) answer.body().path("choices").path(0).path("message")).put("content", "x");
    assertEquals(Optional.empty(), guard.onAnswer(r, answer));
    assertTrue(tally.sawAnswer());
    TokenCounter counter = TokenCounter.forModel(ProviderType.OPENAI, "gpt-4o-2024-08-06");
    assertEquals(counter.count("Hello there, world") + counter.count(" again"), tally.outputTokens());
  }

  @Test
  void aWholeAnswerWithUsageIsChargedOnItsUsageAndNotCounted() throws Exception {
    GatewayRequest r = request(1000, RedactionPolicy.OFF);
    OutputTally tally = new OutputTally();
    StreamGuard guard = new StreamGuard(r, tally, EnforcementEvents.NONE);
    Translated answer = whole(TWO_CHOICES, Optional.of(new Usage(3, 9)));
    guard.prepareAnswer(r, answer);
    assertEquals(Optional.empty(), guard.onAnswer(r, answer));
    assertTrue(tally.sawAnswer());
    assertEquals(0, tally.outputTokens());
  }

  @Test
  void aWholeAnswerPreparedButNeverAnsweredIsChargedWhatItCarried() throws Exception {
    GatewayRequest r = request(1000, RedactionPolicy.OFF);
    OutputTally billed = new OutputTally();
    new StreamGuard(r, billed, EnforcementEvents.NONE).prepareAnswer(r, whole(TWO_CHOICES, Optional.of(new Usage(3, 9))));
    assertEquals(9, billed.outputTokens(), "the provider's usage: what it billed");
    assertEquals(9, billed.outputTokens(), "once");

    OutputTally counted = new OutputTally();
    new StreamGuard(r, counted, EnforcementEvents.NONE).prepareAnswer(r, whole(TWO_CHOICES, Optional.empty()));
    TokenCounter counter = TokenCounter.forModel(ProviderType.OPENAI, "gpt-4o-2024-08-06");
    assertEquals(counter.count("Hello there, world") + counter.count(" again"), counted.outputTokens());
  }

  @Test
  void aSettlementWaitsWhileTheGuardHasLentItsTally() throws Exception {
    GatewayRequest r = request(1000, RedactionPolicy.OFF);
    OutputTally tally = new OutputTally();
    StreamGuard guard = new StreamGuard(r, tally, EnforcementEvents.NONE);
    List<Long> settled = new ArrayList<>();
    guard.onAway();
    tally.whenFree(() -> settled.add(tally.outputTokens()));
    assertEquals(List.of(), settled, "not while a policy thread may count into it");
    guard.prepareAnswer(r, whole(TWO_CHOICES, Optional.of(new Usage(3, 9)))); // the work off the loop
    guard.onBack();
    assertEquals(List.of(9L), settled, "once it is back, on what the work found");
    tally.whenFree(() -> settled.add(-1L));
    assertEquals(List.of(9L, -1L), settled, "a free tally is read at once");
  }

  @Test
  void aWholeAnswerIsScrubbedWhenPreparedAndTheEventIsRecordedOnlyWhenAnswered() throws Exception {
    RedactionPolicy warn = new RedactionPolicy(RedactionMode.WARN, List.of(RedactionPattern.EMAIL), true);
    GatewayRequest r = request(1000, warn);
    List<EventRecord> events = new ArrayList<>();
    StreamGuard guard = new StreamGuard(r, new OutputTally(), EnforcementEvents.into(events::add));
    Translated answer = whole("{\"choices\":[{\"index\":0,\"message\":{\"content\":\"a@b.io or c@d.io\"}},"
        + "{\"index\":1,\"message\":{\"content\":\"e@f.io\"}}]}", Optional.of(new Usage(3, 9)));
    guard.prepareAnswer(r, answer);
    assertTrue(answer.rewritten());
    assertEquals("[REDACTED:EMAIL] or [REDACTED:EMAIL]", answer.body().path("choices").path(0).path("message").path("content").asText());
    assertTrue(events.isEmpty(), "nothing recorded before the drift check let the answer through");
    assertEquals(Optional.empty(), guard.onAnswer(r, answer));
    assertEquals(1, events.size());
    assertEquals(EventKind.REDACTED, events.get(0).kind());
    assertEquals("3", events.get(0).details().get("EMAIL"));
    assertEquals("answer", events.get(0).details().get("where"));

    RedactionPolicy block = new RedactionPolicy(RedactionMode.BLOCK, List.of(RedactionPattern.EMAIL), true);
    GatewayRequest b = request(1000, block);
    events.clear();
    StreamGuard blocking = new StreamGuard(b, new OutputTally(), EnforcementEvents.into(events::add));
    Translated mail = whole("{\"choices\":[{\"index\":0,\"message\":{\"content\":\"mail a@b.io\"}}]}", Optional.empty());
    blocking.prepareAnswer(b, mail);
    assertFalse(mail.rewritten(), "a blocking route refuses, it does not rewrite");
    assertTrue(events.isEmpty());
    Optional<ExchangeObserver.Veto> veto = blocking.onAnswer(b, mail);
    assertEquals(ParapetError.REDACTION_BLOCKED, veto.orElseThrow().error());
    assertFalse(veto.get().message().contains("a@b.io"));
    assertEquals(EventKind.REDACTION_BLOCKED, events.get(0).kind());
  }

  @Test
  void anAnswerNobodyPreparedIsWorkedOnWhenAnswered() throws Exception {
    RedactionPolicy warn = new RedactionPolicy(RedactionMode.WARN, List.of(RedactionPattern.EMAIL), true);
    GatewayRequest r = request(1000, warn);
    OutputTally tally = new OutputTally();
    StreamGuard guard = new StreamGuard(r, tally, EnforcementEvents.NONE);
    Translated answer = whole("{\"choices\":[{\"index\":0,\"message\":{\"content\":\"to a@b.io\"}}]}", Optional.empty());
    assertEquals(Optional.empty(), guard.onAnswer(r, answer));
    assertEquals("to [REDACTED:EMAIL]", answer.body().path("choices").path(0).path("message").path("content").asText());
    TokenCounter counter = TokenCounter.forModel(ProviderType.OPENAI, "gpt-4o-2024-08-06");
    assertEquals(counter.count("to a@b.io"), tally.outputTokens());
  }
}
