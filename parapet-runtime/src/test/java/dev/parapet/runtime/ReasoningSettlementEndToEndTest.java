package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.List;
import java.util.Optional;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An OpenAI reasoning model bills its reasoning as output and never streams it. A stream cut
 * before the final usage chunk (here by scan_output; a caller who leaves after the first delta is
 * the same case) was settled on the tokens seen: the prompt and a few words, none of the reasoning.
 * A caller could make every call end that way and spend past the cap. Such a call is now settled at
 * its worst case, as a timeout is; a model that shows all it bills keeps being charged what was seen.
 */
class ReasoningSettlementEndToEndTest {
  private static final int MAX_OUT = 500;

  @TempDir Path tmp;

  private static Route route(String name, String model, URI base) {
    return new Route(name, "prod", new ProviderSpec(ProviderType.OPENAI, model, Optional.of("OPENAI_KEY"),
        Optional.of(base), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
        SealedGateway.policy(6000, MAX_OUT, "5", true,
            new RedactionPolicy(RedactionMode.BLOCK, List.of(RedactionPattern.EMAIL), true)));
  }

  private static String chunk(String model, String delta) {
    return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + model
        + "\",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":null}]}\n\n";
  }

  /** A stream that leaks an address after a few words: the guard cuts it before any usage. */
  private static MockResponse leaking(String model) {
    String body = chunk(model, "{\"role\":\"assistant\",\"content\":\"\"}") + chunk(model, "{\"content\":\"Write to \"}")
        + chunk(model, "{\"content\":\"dave@example.com\"}") + chunk(model, "{\"content\":\" today.\"}");
    return new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").chunkedBody(body, 40).build();
  }

  private static final String ASK = "{\"model\":\"%s\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"plan it\"}]}";

  @Test
  void aCutStreamOnAReasoningModelIsChargedItsWorstCase() throws Exception {
    String o3 = "o3-2025-04-16";
    String gpt4o = SealedGateway.MODEL;
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(leaking(o3));
      provider.enqueue(leaking(gpt4o));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          route("reasoning", o3, provider.url("/v1").uri()), route("plain", gpt4o, provider.url("/v1").uri())));
      try (Gateway g = sg.start()) {
        for (String[] call : new String[][] {{"reasoning", o3}, {"plain", gpt4o}}) {
          HttpResponse<String> r = post(g.port(), "/routes/" + call[0], ASK.formatted(call[1]));
          assertEquals(200, r.statusCode());
          assertTrue(r.body().contains("\"code\":\"stream_truncated\""), r.body());
        }
      }
      var spend = sg.withStore(s -> {});
      // $1 per 1M tokens: 1,000 nano-USD a token. The worst case is the prompt plus max_tokens_out.
      long reasoning = SealedGateway.route(spend, "reasoning");
      assertTrue(reasoning >= MAX_OUT * 1_000L && reasoning < (MAX_OUT + 50) * 1_000L,
          "a reasoning model's cut stream: " + reasoning + " nano-USD, expected its worst case");
      long plain = SealedGateway.route(spend, "plain");
      assertTrue(plain > 0 && plain < 50 * 1_000L, "a model that shows all it bills: what was seen, " + plain);
    }
    LeakWatch.assertNoLeaks();
  }
}
