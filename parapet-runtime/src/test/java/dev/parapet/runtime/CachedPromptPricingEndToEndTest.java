package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.store.RequestRecord;
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
 * OpenAI bills a prompt token it read from its prompt cache (automatic from 1,024 tokens) below its
 * input price: half for gpt-4o. A route priced from the built-in table settles and records a
 * call's cached tokens at that price, whole or streamed, so its spend and rows match the invoice;
 * a route with its own pricing has no cached rate and charges them at its input price.
 */
class CachedPromptPricingEndToEndTest {
  /** Built-in: $2.50 in, $1.25 cached in, $10.00 out per 1M tokens. */
  private static final String MODEL = "gpt-4o-2024-08-06";

  @TempDir Path tmp;

  private static Route route(String name, URI base, boolean builtInPrice) {
    return new Route(name, "prod", new ProviderSpec(ProviderType.OPENAI, MODEL, Optional.of("OPENAI_KEY"),
        Optional.of(base), List.of(), builtInPrice ? Optional.empty() : Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
        SealedGateway.policy(6000, 200, "5", true, RedactionPolicy.OFF));
  }

  private static final String USAGE = "\"usage\":{\"prompt_tokens\":2048,\"completion_tokens\":100,\"total_tokens\":2148,"
      + "\"prompt_tokens_details\":{\"cached_tokens\":1920,\"audio_tokens\":0},"
      + "\"completion_tokens_details\":{\"reasoning_tokens\":0}}";

  private static MockResponse whole() {
    return new MockResponse.Builder().addHeader("Content-Type", "application/json").body(
        "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"" + MODEL + "\",\"choices\":[{\"index\":0,"
        + "\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}]," + USAGE + "}").build();
  }

  private static MockResponse streamed() {
    String head = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + MODEL + "\",";
    return new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").body(
        head + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":null}]}\n\n"
        + head + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
        + head + "\"choices\":[]," + USAGE + "}\n\n"
        + "data: [DONE]\n\n").build();
  }

  @Test
  void cachedPromptTokensAreChargedAndRecordedAtTheCachedPrice() throws Exception {
    // 128 uncached × $2.50 + 1,920 cached × $1.25 + 100 out × $10.00, per 1M tokens, in nano-USD
    long discounted = 128 * 2_500L + 1_920 * 1_250L + 100 * 10_000L;
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      URI base = provider.url("/v1").uri();
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(route("builtin", base, true), route("own", base, false)));
      String[] ids = new String[3];
      try (Gateway g = sg.start()) {
        provider.enqueue(whole());
        HttpResponse<String> w = post(g.port(), "/routes/builtin", SealedGateway.chat("hi", 100));
        assertEquals(200, w.statusCode(), w.body());
        ids[0] = w.headers().firstValue("x-parapet-request-id").orElseThrow();
        provider.enqueue(streamed());
        HttpResponse<String> s = post(g.port(), "/routes/builtin",
            "{\"stream\":true,\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertTrue(s.body().endsWith("data: [DONE]\n\n"), s.body());
        ids[1] = s.headers().firstValue("x-parapet-request-id").orElseThrow();
        provider.enqueue(whole());
        HttpResponse<String> o = post(g.port(), "/routes/own", SealedGateway.chat("hi", 100));
        assertEquals(200, o.statusCode(), o.body());
        ids[2] = o.headers().firstValue("x-parapet-request-id").orElseThrow();
      }
      assertEquals(2 * discounted, SealedGateway.route(sg.spendToday(), "builtin"), "the ledger, at the cached price");
      assertEquals((2048 + 100) * 1_000L, SealedGateway.route(sg.spendToday(), "own"), "own pricing: no cached rate");
      RequestRecord[] rows = new RequestRecord[3];
      sg.withStore(store -> {
        for (int i = 0; i < 3; i++) {
          rows[i] = store.request(ids[i]).orElseThrow();
        }
      });
      for (int i = 0; i < 2; i++) {
        assertEquals(discounted, rows[i].costNanoUsd(), "row " + i + ": the same figure as the ledger");
        assertEquals(List.of(2048L, 100L), List.of(rows[i].tokensIn(), rows[i].tokensOut()), "every prompt token is in");
      }
      assertEquals((2048 + 100) * 1_000L, rows[2].costNanoUsd());
    }
    LeakWatch.assertNoLeaks();
  }
}
