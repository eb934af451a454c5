package dev.parapet.runtime;

import static dev.parapet.runtime.testing.AnthropicSse.event;
import static dev.parapet.runtime.testing.AnthropicSse.delta;
import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claude Opus 4.7 and later, Sonnet 5 and 5.5, Haiku 5.5, Fable and Mythos 5 refuse extended thinking with a budget
 * (a 400) and think only adaptively, steered by {@code output_config.effort}. An OpenAI caller's
 * reasoning_effort reaches them as that, whole and streamed; their thinking is billed output as on
 * any thinking call, and older models keep their budget.
 */
class AnthropicAdaptiveThinkingEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_OUT = 3000;

  /** The adaptive-only models, by their ids (the other forms of an id: AnthropicModelsTest). */
  private static final List<String> ADAPTIVE = List.of("claude-opus-4-7", "claude-opus-4-8",
      "claude-opus-5", "claude-sonnet-5", "claude-fable-5", "claude-fable-5-1", "claude-mythos-5",
      "claude-mythos-5-1", "claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5");

  @TempDir Path tmp;

  private static Route claude(String name, String model, URI base) {
    return new Route(name, "prod", new ProviderSpec(ProviderType.ANTHROPIC, model, Optional.of("OPENAI_KEY"),
        Optional.of(base), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
        SealedGateway.policy(6000, MAX_OUT, "5", true,
            new RedactionPolicy(RedactionMode.BLOCK, List.of(RedactionPattern.EMAIL), true)));
  }



  /**
   * As the newest models stream by default ({@code display: "omitted"}): a thinking block without
   * its text, its signature, then the answer {@code text}; with the final usage when {@code end}.
   */
  private static String stream(String model, String text, boolean end) throws Exception {
    String s = event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"model\":\"" + model + "\",\"content\":[],\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
            + "{\"type\":\"thinking\",\"thinking\":\"\"}}")
        + delta(0, "signature_delta", "signature", "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds")
        + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
            + "{\"type\":\"text\",\"text\":\"\"}}")
        + delta(1, "text_delta", "text", text);
    if (end) {
      s += event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}")
          + event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":40}}")
          + event("message_stop", "{\"type\":\"message_stop\"}");
    }
    return s;
  }

  private static MockResponse sse(String body) {
    return new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").chunkedBody(body, 64).build();
  }

  private static MockResponse whole(String model, int outputTokens) {
    return new MockResponse.Builder().addHeader("Content-Type", "application/json").body(
        "{\"id\":\"msg_2\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + model + "\","
            + "\"content\":[{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"EqQB\"},"
            + "{\"type\":\"text\",\"text\":\"Go to Porto.\"}],\"stop_reason\":\"end_turn\","
            + "\"usage\":{\"input_tokens\":12,\"output_tokens\":" + outputTokens + "}}").build();
  }

  private static final String ASK = "{\"reasoning_effort\":\"%s\",\"messages\":[{\"role\":\"user\","
      + "\"content\":\"plan a trip\"}]}";

  private static String streamed(String ask) {
    return ask.replace("{\"reasoning_effort\"", "{\"stream\":true,\"reasoning_effort\"");
  }

  @Test
  void theNewestModelsThinkAdaptivelyWithTheCallersEffort() throws Exception {
    String[][] efforts = {{"minimal", "low"}, {"low", "low"}, {"medium", "medium"}, {"high", "high"}, {"xhigh", "xhigh"}};
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      List<Route> routes = new ArrayList<>();
      for (int i = 0; i < ADAPTIVE.size(); i++) {
        routes.add(claude("r" + i, ADAPTIVE.get(i), provider.url("/v1").uri()));
      }
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), routes);
      long billed = 0;
      try (Gateway g = sg.start()) {
        for (int i = 0; i < ADAPTIVE.size(); i++) {
          String model = ADAPTIVE.get(i);
          String[] effort = efforts[i % efforts.length];
          provider.enqueue(whole(model, 900));
          HttpResponse<String> r = post(g.port(), "/routes/r" + i, ASK.formatted(effort[0]));
          assertEquals(200, r.statusCode(), model + ": " + r.body());
          JsonNode answer = JSON.readTree(r.body());
          assertEquals("Go to Porto.", answer.path("choices").path(0).path("message").path("content").asText(), model);
          assertEquals(900, answer.path("usage").path("completion_tokens").asInt(), model);
          billed += 12 + 900;
          JsonNode sent = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
          // no budget, so high and xhigh are not held to max_tokens: max_tokens bounds thinking and answer
          assertEquals(JSON.readTree("{\"type\":\"adaptive\"}"), sent.path("thinking"), model + ": " + sent);
          assertEquals(JSON.readTree("{\"effort\":\"" + effort[1] + "\"}"), sent.path("output_config"), model + ": " + sent);
          assertEquals(MAX_OUT, sent.path("max_tokens").asInt(), model + ": " + sent);
          assertFalse(sent.has("reasoning_effort"), model + ": " + sent);
        }

        // streamed, as these models stream thinking by default: its block carries no text
        String fable = "claude-fable-5-1";
        provider.enqueue(sse(stream(fable, "Go to Lisbon.", true)));
        HttpResponse<String> s = post(g.port(), "/routes/r" + ADAPTIVE.indexOf(fable), streamed(ASK.formatted("medium")));
        assertEquals(200, s.statusCode(), s.body());
        assertTrue(s.body().contains("\"content\":\"Go to Lisbon.\""), s.body());
        assertFalse(s.body().contains("EqQB") || s.body().contains("stream_truncated"), s.body());
        assertTrue(s.body().endsWith("data: [DONE]\n\n"), s.body());
        billed += 12 + 40;
        JsonNode sent = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
        assertTrue(sent.path("stream").asBoolean(), sent.toString());
        assertEquals(JSON.readTree("{\"type\":\"adaptive\"}"), sent.path("thinking"), sent.toString());
        assertEquals(JSON.readTree("{\"effort\":\"medium\"}"), sent.path("output_config"), sent.toString());

        // none thinks not at all: nothing is asked for
        provider.enqueue(whole("claude-opus-4-7", 5));
        HttpResponse<String> none = post(g.port(), "/routes/r0", ASK.formatted("none"));
        assertEquals(200, none.statusCode(), none.body());
        billed += 12 + 5;
        JsonNode plain = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
        assertFalse(plain.has("thinking") || plain.has("output_config"), plain.toString());
      }
      long spent = 0;
      var store = sg.withStore(x -> {});
      for (int i = 0; i < ADAPTIVE.size(); i++) {
        spent += SealedGateway.route(store, "r" + i);
      }
      assertEquals(billed * 1_000L, spent, "every call settled on Anthropic's usage, its thinking included");
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * A stream cut before its final usage thinks, billed, where nothing of it was seen (its text is
   * omitted): the worst case, as on any thinking call.
   */
  @Test
  void aCutStreamThatThinksAdaptivelyIsChargedItsWorstCase() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(sse(stream("claude-opus-5", "Write to dave@example.com for tickets.", false)));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(claude("claude", "claude-opus-5", provider.url("/v1").uri())));
      try (Gateway g = sg.start()) {
        HttpResponse<String> r = post(g.port(), "/routes/claude", streamed(ASK.formatted("low")));
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("\"code\":\"stream_truncated\""), r.body());
        assertFalse(r.body().contains("dave@"), r.body());
      }
      long spent = SealedGateway.route(sg.withStore(s -> {}), "claude");
      assertTrue(spent >= MAX_OUT * 1_000L, "charged " + spent + " nano-USD: the omitted thinking went uncharged");
      JsonNode sent = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
      assertEquals("adaptive", sent.path("thinking").path("type").asText(), sent.toString());
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * Older models keep extended thinking with a budget: Opus 4.6 and Sonnet 4.6 (where it is
   * deprecated, still accepted), 4.5, and an id that merely starts like a newer one. xhigh, which
   * Anthropic has only adaptively, is refused there by name, before anything is sent.
   */
  @Test
  void olderModelsKeepTheirBudget() throws Exception {
    List<String> older = List.of("claude-opus-4-6", "claude-sonnet-4-6", "claude-sonnet-4-5-20250929",
        "claude-opus-5-preview");
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      List<Route> routes = new ArrayList<>();
      for (int i = 0; i < older.size(); i++) {
        routes.add(claude("o" + i, older.get(i), provider.url("/v1").uri()));
      }
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), routes);
      try (Gateway g = sg.start()) {
        for (int i = 0; i < older.size(); i++) {
          provider.enqueue(whole(older.get(i), 900));
          HttpResponse<String> r = post(g.port(), "/routes/o" + i, ASK.formatted("medium"));
          assertEquals(200, r.statusCode(), older.get(i) + ": " + r.body());
          JsonNode sent = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
          assertEquals(JSON.readTree("{\"type\":\"enabled\",\"budget_tokens\":2048}"), sent.path("thinking"),
              older.get(i) + ": " + sent);
          assertFalse(sent.has("output_config"), older.get(i) + ": " + sent);

          HttpResponse<String> xhigh = post(g.port(), "/routes/o" + i, ASK.formatted("xhigh"));
          assertEquals(400, xhigh.statusCode(), xhigh.body());
          JsonNode error = JSON.readTree(xhigh.body()).path("error");
          assertEquals("invalid_request", error.path("code").asText(), xhigh.body());
          assertTrue(error.path("message").asText().contains("xhigh is only for a model with adaptive thinking"),
              xhigh.body());
        }
        assertEquals(older.size(), provider.getRequestCount(), "nothing was sent for the refused calls");
      }
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * reasoning_effort none on the models that think unasked: thinking disabled where Anthropic takes
   * it (Opus 5, Sonnet 5, Haiku 5.5, at their default effort); between_tools, its lowest setting, on
   * Sonnet 5.5, which refuses disabled; refused by name, nothing sent and nothing held, where thinking
   * cannot be turned off (Opus 5.5, Fable and Mythos 5 and 5.1), since the call would think and be
   * billed for it anyway. Mythos Preview, whose sources do not settle it, and the models that think
   * only when asked, are sent no thinking field.
   */
  @Test
  void noneTurnsThinkingOffWhereAnthropicAllowsItAndIsRefusedWhereItCannot() throws Exception {
    List<String> disabled = List.of("claude-opus-5", "claude-haiku-5-5", "claude-sonnet-5");
    List<String> betweenTools = List.of("claude-sonnet-5-5", "claude-sonnet-5-5-20260928");
    List<String> alwaysOn = List.of("claude-opus-5-5", "claude-fable-5", "claude-fable-5-1", "claude-mythos-5",
        "claude-mythos-5-1-20260901");
    List<String> unchanged = List.of("claude-mythos-preview", "claude-opus-4-8");
    List<String> all = new ArrayList<>(disabled);
    all.addAll(betweenTools);
    all.addAll(alwaysOn);
    all.addAll(unchanged);
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      List<Route> routes = new ArrayList<>();
      for (int i = 0; i < all.size(); i++) {
        routes.add(claude("n" + i, all.get(i), provider.url("/v1").uri()));
      }
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), routes);
      int sent = 0;
      try (Gateway g = sg.start()) {
        for (int i = 0; i < all.size(); i++) {
          String model = all.get(i);
          if (alwaysOn.contains(model)) {
            HttpResponse<String> r = post(g.port(), "/routes/n" + i, ASK.formatted("none"));
            assertEquals(400, r.statusCode(), model + ": " + r.body());
            JsonNode error = JSON.readTree(r.body()).path("error");
            assertEquals("parapet_error", error.path("type").asText(), r.body());
            assertEquals("invalid_request", error.path("code").asText(), r.body());
            assertTrue(error.path("message").asText().startsWith("reasoning_effort: none is not possible on " + model
                + ", whose thinking cannot be turned off"), r.body());
            assertFalse(error.path("request_id").asText().isEmpty(), r.body());
            continue;
          }
          provider.enqueue(whole(model, 7));
          HttpResponse<String> r = post(g.port(), "/routes/n" + i, ASK.formatted("none"));
          assertEquals(200, r.statusCode(), model + ": " + r.body());
          sent++;
          JsonNode body = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
          if (disabled.contains(model)) {
            assertEquals(JSON.readTree("{\"type\":\"disabled\"}"), body.path("thinking"), model + ": " + body);
          } else if (betweenTools.contains(model)) {
            assertEquals(JSON.readTree("{\"type\":\"between_tools\"}"), body.path("thinking"), model + ": " + body);
          } else {
            assertFalse(body.has("thinking"), model + ": " + body);
          }
          assertFalse(body.has("output_config") || body.has("reasoning_effort"), model + ": " + body);
        }
        // streamed too
        provider.enqueue(sse(stream("claude-haiku-5-5", "Go to Lisbon.", true)));
        HttpResponse<String> s = post(g.port(), "/routes/n1", streamed(ASK.formatted("none")));
        assertEquals(200, s.statusCode(), s.body());
        sent++;
        JsonNode body = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
        assertTrue(body.path("stream").asBoolean(), body.toString());
        assertEquals(JSON.readTree("{\"type\":\"disabled\"}"), body.path("thinking"), body.toString());
        assertEquals(sent, provider.getRequestCount(), "nothing was sent for the refused calls");
      }
      var spend = sg.withStore(x -> {});
      for (int i = 0; i < all.size(); i++) {
        long spent = SealedGateway.route(spend, "n" + i);
        assertEquals(alwaysOn.contains(all.get(i)), spent == 0, all.get(i) + ": spent " + spent);
      }
    }
    LeakWatch.assertNoLeaks();
  }
}
