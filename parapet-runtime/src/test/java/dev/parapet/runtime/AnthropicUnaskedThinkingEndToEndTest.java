package dev.parapet.runtime;

import static dev.parapet.runtime.testing.AnthropicSse.event;
import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.runtime.testing.AllLogs;
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
 * Claude Opus 5, Sonnet 5 and the 5.5 models (Opus, Sonnet, Haiku) think by default, Fable and
 * Mythos 5 and 5.1 and Mythos Preview always: a call without reasoning_effort thinks there, billed as output, and streams none of it
 * (their thinking blocks come without text by default). A stream cut before its final usage was
 * settled on what was seen, a few words, leaving the thinking uncharged: a caller could make every
 * call end so and spend past the cap. It is now settled at its worst case, as a call that asked to
 * think; a model that does not think unasked (Opus 4.8) keeps being charged what was seen.
 */
class AnthropicUnaskedThinkingEndToEndTest {
  private static final int MAX_OUT = 3000;

  @TempDir Path tmp;

  private static Route claude(String name, String model, URI base) {
    return new Route(name, "prod", new ProviderSpec(ProviderType.ANTHROPIC, model, Optional.of("OPENAI_KEY"),
        Optional.of(base), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
        SealedGateway.policy(6000, MAX_OUT, "5", true,
            new RedactionPolicy(RedactionMode.BLOCK, List.of(RedactionPattern.EMAIL), true)));
  }


  /** A thinking block without its text, then an answer that leaks an address: the guard cuts it. */
  private static MockResponse leaking(String model) {
    String body = event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"model\":\"" + model + "\",\"content\":[],\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
            + "{\"type\":\"thinking\",\"thinking\":\"\"}}")
        + event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
            + "\"signature_delta\",\"signature\":\"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrk\"}}")
        + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
            + "{\"type\":\"text\",\"text\":\"\"}}")
        + event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
            + "\"text_delta\",\"text\":\"Write to dave@example.com for tickets.\"}}");
    return new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").chunkedBody(body, 64).build();
  }

  private static final String ASK = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"plan a trip\"}]}";

  @Test
  void aCutStreamOnAModelThatThinksUnaskedIsChargedItsWorstCase() throws Exception {
    List<String> thinking = List.of("claude-opus-5", "claude-sonnet-5", "claude-fable-5-1", "claude-mythos-5",
        "claude-mythos-preview", "claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5");
    String plain = "claude-opus-4-8";
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      List<Route> routes = new ArrayList<>();
      for (int i = 0; i < thinking.size(); i++) {
        routes.add(claude("t" + i, thinking.get(i), provider.url("/v1").uri()));
      }
      routes.add(claude("plain", plain, provider.url("/v1").uri()));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), routes);
      try (Gateway g = sg.start()) {
        for (int i = 0; i <= thinking.size(); i++) {
          String route = i < thinking.size() ? "t" + i : "plain";
          provider.enqueue(leaking(i < thinking.size() ? thinking.get(i) : plain));
          HttpResponse<String> r = post(g.port(), "/routes/" + route, ASK);
          assertEquals(200, r.statusCode(), r.body());
          assertTrue(r.body().contains("\"code\":\"stream_truncated\""), r.body());
          assertFalse(r.body().contains("dave@") || r.body().contains("EqQB"), r.body());
        }
      }
      var spend = sg.withStore(s -> {});
      for (int i = 0; i < thinking.size(); i++) {
        long spent = SealedGateway.route(spend, "t" + i);
        assertTrue(spent >= MAX_OUT * 1_000L, thinking.get(i) + ": charged " + spent
            + " nano-USD, the thinking it was never asked for went uncharged");
      }
      long seen = SealedGateway.route(spend, "plain");
      assertTrue(seen > 0 && seen < 100 * 1_000L, plain + " thinks only when asked: what was seen, " + seen);
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * A model no list names (one Anthropic released after them) fails closed: a stream cut before its
   * usage is charged its worst case, and boot says so once for its route; a listed older model that
   * thinks only when asked keeps being charged what was seen, and draws no warning.
   */
  @Test
  void aCutStreamOnAModelParapetDoesNotKnowIsChargedItsWorstCaseAndBootSaysSo() throws Exception {
    String invented = "claude-opus-9";
    String old = "claude-sonnet-4-5";
    List<String> warnings;
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          claude("invented", invented, provider.url("/v1").uri()), claude("old", old, provider.url("/v1").uri())));
      try (AllLogs logs = AllLogs.capture()) {
        try (Gateway g = sg.start()) {
          for (String route : List.of("invented", "old")) {
            provider.enqueue(leaking(route.equals("old") ? old : invented));
            HttpResponse<String> r = post(g.port(), "/routes/" + route, ASK);
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("\"code\":\"stream_truncated\""), r.body());
          }
        }
        warnings = logs.messages().stream().filter(m -> m.contains("not a Claude model Parapet knows")).toList();
      }
      var spend = sg.withStore(s -> {});
      long charged = SealedGateway.route(spend, "invented");
      assertTrue(charged >= MAX_OUT * 1_000L, invented + ": charged " + charged
          + " nano-USD, the thinking it may do unasked went uncharged");
      long seen = SealedGateway.route(spend, "old");
      assertTrue(seen > 0 && seen < 100 * 1_000L, old + " thinks only when asked: what was seen, " + seen);
    }
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).startsWith("route=invented model=" + invented + ": ")
        && warnings.get(0).contains("worst case"), warnings.get(0));
    LeakWatch.assertNoLeaks();
  }
}
