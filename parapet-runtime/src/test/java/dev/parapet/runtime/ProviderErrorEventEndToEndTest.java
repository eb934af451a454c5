package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.store.EventKind;
import dev.parapet.core.store.EventRow;
import dev.parapet.core.store.RequestRecord;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A provider that ends a started stream with an error of its own — Anthropic's {@code event:
 * error} ({@code overloaded_error}, {@code api_error}), an OpenAI-compatible {@code data:
 * {"error":{…}}} chunk — has said what went wrong: that is no unreadable answer. The caller gets
 * {@code upstream_error} naming the provider's error type (never its free text, which may quote
 * the key): a plain 502 while no byte of the answer went out, else one SSE error event then
 * {@code [DONE]}. The call is settled as a stream the provider dropped: the usage it reported and
 * the output seen, else the prompt as counted — not the worst case, and not nothing. A 200 whole
 * answer that is such an error object is treated the same way.
 */
class ProviderErrorEventEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TokenCounter COUNTER = TokenCounter.forModel(ProviderType.OPENAI, SealedGateway.MODEL);
  private static final int PROMPT = COUNTER.countMessages(List.of("hi"));
  private static final String CLAUDE = "claude-sonnet-4-20250514";
  /** The provider's free text: it echoes the key and says more than a caller should read from us. */
  private static final String FREE_TEXT = "Overloaded while serving key " + SealedGateway.PROVIDER_KEY;
  private static final String ASK = "{\"stream\":true,\"max_tokens\":1000,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  @TempDir Path tmp;

  private static MockResponse sse(String body) {
    return new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").chunkedBody(body, 64).build();
  }

  private static String openAiError(String type) {
    return "data: {\"error\":{\"message\":\"" + FREE_TEXT + "\",\"type\":\"" + type + "\",\"param\":null,\"code\":null}}\n\n";
  }

  private static String anthropicStart(int inputTokens) {
    return "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"content\":[],\"model\":\"" + CLAUDE + "\",\"usage\":{\"input_tokens\":" + inputTokens
        + ",\"output_tokens\":1}}}\n\n";
  }

  private static String anthropicText(String text) {
    return "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
        + "\"delta\":{\"type\":\"text_delta\",\"text\":\"" + text + "\"}}\n\n";
  }

  private static String anthropicError(String type) {
    return "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"" + FREE_TEXT + "\"}}\n\n";
  }

  private SealedGateway gateway(URI base) {
    Route oai = SealedGateway.openAi("oai", base, SealedGateway.policy(6000, 1000, "5", false, RedactionPolicy.OFF), List.of());
    Route ant = new Route("ant", "prod", new ProviderSpec(ProviderType.ANTHROPIC, CLAUDE, Optional.of("OPENAI_KEY"),
        Optional.of(base), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
        SealedGateway.policy(6000, 1000, "5", false, RedactionPolicy.OFF));
    return new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(oai, ant));
  }

  /** The stream's events; the last two are the error and [DONE]. */
  private static List<String> events(HttpResponse<String> r) {
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
    List<String> out = new ArrayList<>();
    for (String e : r.body().split("\n\n")) {
      assertTrue(e.startsWith("data: "), r.body());
      out.add(e.substring("data: ".length()));
    }
    return out;
  }

  /** The error the caller got, plain or as the stream's last event before [DONE]. */
  private static JsonNode callerError(HttpResponse<String> r) throws Exception {
    assertFalse(r.body().contains("Overloaded") || r.body().contains(SealedGateway.PROVIDER_KEY),
        "the provider's free text reached the caller: " + r.body());
    if (r.statusCode() == 200) {
      List<String> events = events(r);
      return JSON.readTree(events.get(events.size() - 2)).path("error");
    }
    assertEquals(502, r.statusCode(), r.body());
    return JSON.readTree(r.body()).path("error");
  }

  /** Returns the call's request id. */
  private static String assertUpstreamError(HttpResponse<String> r, String providerType) throws Exception {
    JsonNode error = callerError(r);
    assertEquals("parapet_error", error.path("type").asText(), r.body());
    assertEquals("upstream_error", error.path("code").asText(), r.body());
    assertTrue(error.path("message").asText().contains(providerType), "the message names the type: " + r.body());
    String id = r.headers().firstValue("x-parapet-request-id").orElseThrow();
    assertEquals(id, error.path("request_id").asText());
    return id;
  }

  @Test
  void anOpenAiErrorChunkIsUpstreamErrorSettledOnWhatWasSeen() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(sse(openAiError("server_error")));
      provider.enqueue(sse(AnswerPolicyEndToEndTest.chunk(SealedGateway.MODEL, "fp_1", "par")
          + AnswerPolicyEndToEndTest.chunk(SealedGateway.MODEL, "fp_1", "tial") + openAiError("server_error")));
      provider.enqueue(sse(openAiError(SealedGateway.PROVIDER_KEY))); // a type that echoes the key
      SealedGateway sg = gateway(provider.url("/v1").uri());
      List<String> ids = new ArrayList<>();
      try (Gateway g = sg.start()) {
        HttpResponse<String> before = post(g.port(), "/routes/oai", ASK);
        assertEquals(502, before.statusCode(), "no byte of the answer went out: a plain refusal " + before.body());
        ids.add(assertUpstreamError(before, "server_error"));
        HttpResponse<String> after = post(g.port(), "/routes/oai", ASK);
        ids.add(assertUpstreamError(after, "server_error"));
        assertTrue(events(after).get(0).contains("\"par\"") && events(after).get(1).contains("\"tial\""), after.body());
        assertUpstreamError(post(g.port(), "/routes/oai", ASK), "[REDACTED]");
      }
      long output = COUNTER.count("partial");
      // the prompt as counted, then the prompt and the output seen: never the worst case of 1,000 tokens out
      assertEquals(List.of(PROMPT * 1000L, (PROMPT + output) * 1000L), assertRecorded(sg, ids, List.of(502, 200)));
      assertEquals((3L * PROMPT + output) * 1000L, SealedGateway.route(sg.spendToday(), "oai"));
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void anAnthropicErrorEventIsUpstreamErrorSettledOnTheReportedUsageAndWhatWasSeen() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(sse(anthropicError("overloaded_error")));
      provider.enqueue(sse(anthropicStart(400) + anthropicError("overloaded_error")));
      provider.enqueue(sse(anthropicStart(400) + anthropicText("par") + anthropicText("tial") + anthropicError("api_error")));
      SealedGateway sg = gateway(provider.url("/v1").uri());
      List<String> ids = new ArrayList<>();
      long seen;
      try (Gateway g = sg.start()) {
        HttpResponse<String> first = post(g.port(), "/routes/ant", ASK);
        assertEquals(502, first.statusCode(), "no byte of the answer went out: a plain refusal " + first.body());
        ids.add(assertUpstreamError(first, "overloaded_error"));
        HttpResponse<String> before = post(g.port(), "/routes/ant", ASK);
        ids.add(assertUpstreamError(before, "overloaded_error"));
        assertEquals(3, events(before).size(), "the role chunk, the error, [DONE]: " + before.body());
        HttpResponse<String> after = post(g.port(), "/routes/ant", ASK);
        ids.add(assertUpstreamError(after, "api_error"));
        assertTrue(after.body().contains("\"par\"") && after.body().contains("\"tial\""), after.body());
        seen = TokenCounter.forModel(ProviderType.ANTHROPIC, CLAUDE).count("partial");
      }
      List<Long> costs = assertRecorded(sg, ids, List.of(502, 200, 200));
      // the prompt as counted (a few tokens, not nothing); then message_start's 400 input tokens (more
      // than the count) and its 1 output token; then the same with the output seen (an estimate here)
      assertTrue(costs.get(0) > 0 && costs.get(0) < 100_000L, "the prompt as counted: " + costs);
      assertEquals(List.of(401_000L, (400 + Math.max(1, seen)) * 1000L), costs.subList(1, 3));
      assertEquals(costs.stream().mapToLong(Long::longValue).sum(), SealedGateway.route(sg.spendToday(), "ant"));
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * Some OpenAI-compatible local servers answer an error as a 200 whose body is {@code
   * {"error":{…}}}; Anthropic's error object has {@code "type":"error"}. Readable, so no malformed
   * answer: 502 naming the type, the prompt as counted, not the worst case.
   */
  @Test
  void aWholeAnswerThatIsTheProvidersErrorIsUpstreamErrorChargedThePrompt() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json")
          .body("{\"error\":{\"code\":500,\"message\":\"" + FREE_TEXT + "\",\"type\":\"server_error\"}}").build());
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json")
          .body("{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"" + FREE_TEXT + "\"}}").build());
      SealedGateway sg = gateway(provider.url("/v1").uri());
      String whole = ASK.replace("\"stream\":true,", "");
      List<String> ids = new ArrayList<>();
      try (Gateway g = sg.start()) {
        HttpResponse<String> oai = post(g.port(), "/routes/oai", whole);
        assertEquals(502, oai.statusCode(), oai.body());
        ids.add(assertUpstreamError(oai, "server_error"));
        HttpResponse<String> ant = post(g.port(), "/routes/ant", whole);
        assertEquals(502, ant.statusCode(), ant.body());
        ids.add(assertUpstreamError(ant, "overloaded_error"));
      }
      List<Long> costs = assertRecorded(sg, ids, List.of(502, 502));
      assertEquals(PROMPT * 1000L, costs.get(0), "the prompt as counted, not the worst case");
      assertTrue(costs.get(1) > 0 && costs.get(1) < 100_000L, "the prompt as counted, not the worst case: " + costs);
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * Each call's row says upstream_error and a counted charge, and an upstream_error event was
   * recorded; returns the rows' costs.
   */
  private static List<Long> assertRecorded(SealedGateway sg, List<String> ids, List<Integer> statuses) throws Exception {
    List<Long> costs = new ArrayList<>();
    List<EventRow> events = new ArrayList<>();
    sg.withStore(store -> {
      for (int i = 0; i < ids.size(); i++) {
        RequestRecord row = store.request(ids.get(i)).orElseThrow();
        assertEquals(statuses.get(i), row.status(), row.toString());
        assertEquals(Optional.of("upstream_error"), row.errorCode(), row.toString());
        assertTrue(row.notes().contains("usage:counted"), row.toString());
        costs.add(row.costNanoUsd());
      }
      events.addAll(store.events(Optional.empty(), Optional.of(EventKind.UPSTREAM_ERROR), 50));
    });
    for (String id : ids) {
      assertTrue(events.stream().anyMatch(e -> e.requestId().equals(id) && "upstream_error".equals(e.details().get("code"))),
          "an upstream_error event for " + id + ": " + events);
    }
    return costs;
  }
}
