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
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.policy.EnforcementEvents;
import dev.parapet.runtime.policy.OutputTally;
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

  private static String chunk(int index, String content) {
    return "{\"choices\":[{\"index\":" + index + ",\"delta\":{\"content\":\"" + content + "\"},\"finish_reason\":null}]}";
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
    assertFalse(guard.onStreamPayload(r, "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}").isPresent());
    assertFalse(guard.onStreamPayload(r, "not json").isPresent());
    assertEquals(0, tally.outputTokens());
  }
}
