package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.chat;
import static dev.parapet.runtime.SealedGateway.completion;
import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.store.EventKind;
import dev.parapet.core.store.EventRow;
import dev.parapet.core.store.SpendKey;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.testing.LeakWatch;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spend caps with holds over real sockets, through the production wiring and the encrypted store:
 * 402 for the route's and the tenant's cap, the concurrency guarantee, and a restart keeping the
 * day's spend. Prices are $1 per million tokens both ways: one token is 1000 nano-USD.
 */
class BudgetEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** "hi" as one user message with chat framing, on the route's own encoding. */
  static final int PROMPT = TokenCounter.forModel(ProviderType.OPENAI, SealedGateway.MODEL).countMessages(List.of("hi"));
  static final int MAX_OUT = 100;
  static final long WORST = (PROMPT + MAX_OUT) * 1000L;

  @TempDir Path tmp;

  /** Answers every call with the usage of its worst case: each settles exactly at its hold. */
  static Dispatcher worstCaseAnswers(AtomicInteger calls) {
    return new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        calls.incrementAndGet();
        return new MockResponse.Builder().addHeader("Content-Type", "application/json")
            .body(completion(SealedGateway.MODEL, "ok", PROMPT, MAX_OUT)).build();
      }
    };
  }

  private static Route capped(URI base, String usd) {
    return SealedGateway.openAi("remote", base, SealedGateway.policy(6000, MAX_OUT, usd, true, RedactionPolicy.OFF), List.of());
  }

  private static String usd(long nanos) {
    return BigDecimal.valueOf(nanos, 9).stripTrailingZeros().toPlainString();
  }

  @Test
  void routeCapAllowsWhatFitsThenRefuses402AndSendsNothing() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (MockWebServer provider = new MockWebServer()) {
      provider.setDispatcher(worstCaseAnswers(calls));
      provider.start();
      long cap = 2 * WORST + WORST / 2;
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(capped(provider.url("/v1").uri(), usd(cap))));
      try (Gateway g = sg.start()) {
        assertEquals(200, post(g.port(), "/routes/remote", chat("hi", 5000)).statusCode());
        assertEquals(200, post(g.port(), "/routes/remote", chat("hi", 5000)).statusCode());
        HttpResponse<String> refused = post(g.port(), "/routes/remote", chat("hi", 5000));
        assertEquals(402, refused.statusCode(), refused.body());
        JsonNode error = JSON.readTree(refused.body()).get("error");
        assertEquals("budget_exceeded", error.get("code").asText());
        String message = error.get("message").asText();
        assertTrue(message.contains("route remote") && message.contains("$" + usd(cap - 2 * WORST) + " left"), message);
        assertEquals(2, calls.get(), "a refused call reached the provider");
      }
      sg.withStore(store -> {
        List<EventRow> events = store.events(Optional.empty(), Optional.of(EventKind.BUDGET_EXCEEDED), 10);
        assertEquals(1, events.size());
        // Money as /_parapet/usage writes it: a string with nine decimals.
        assertEquals(Map.of("scope", "route", "cap_usd", BigDecimal.valueOf(cap, 9).toPlainString(),
            "left_usd", BigDecimal.valueOf(cap - 2 * WORST, 9).toPlainString(),
            "worst_case_usd", BigDecimal.valueOf(WORST, 9).toPlainString()), events.get(0).details());
      });
      assertEquals(2 * WORST, SealedGateway.route(sg.spendToday(), "remote"));
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * {@code n} choices may each be max_tokens long, and the provider bills them all: the worst case
   * multiplies the output by n, so a call cannot ask for 128 answers on a hold for one. A bad n is
   * refused before anything is held.
   */
  @Test
  void theWorstCaseCoversEveryChoiceAskedFor() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (MockWebServer provider = new MockWebServer()) {
      provider.setDispatcher(worstCaseAnswers(calls));
      provider.start();
      long cap = 2 * WORST; // one call of n = 1 fits; one of n = 2 (PROMPT + 2 × MAX_OUT) does not
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(capped(provider.url("/v1").uri(), usd(cap))));
      try (Gateway g = sg.start()) {
        HttpResponse<String> two = post(g.port(), "/routes/remote",
            "{\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(200, two.statusCode(), two.body());
        HttpResponse<String> many = post(g.port(), "/routes/remote",
            "{\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(402, many.statusCode(), many.body());
        String message = JSON.readTree(many.body()).path("error").path("message").asText();
        assertTrue(message.contains("worst case of $" + usd((PROMPT + 2L * MAX_OUT) * 1000L)), message);
        for (String n : List.of("0", "129", "1.5", "\"2\"", "true", "99999999999")) {
          HttpResponse<String> bad = post(g.port(), "/routes/remote",
              "{\"n\":" + n + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
          assertEquals(400, bad.statusCode(), n + ": " + bad.body());
          assertEquals("invalid_request", JSON.readTree(bad.body()).path("error").path("code").asText());
        }
        assertEquals(1, calls.get(), "only the call that fitted reached the provider");
      }
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * A route's price is what its budget and rows charge: a caller may not pick a service tier
   * billed above it. Refused before anything is sent, the hold released; flex (billed below) and
   * the default tiers pass.
   */
  @Test
  void aCallerCannotPickATierBilledAboveTheRoutesPrice() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (MockWebServer provider = new MockWebServer()) {
      provider.setDispatcher(worstCaseAnswers(calls));
      provider.start();
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(capped(provider.url("/v1").uri(), "5")));
      try (Gateway g = sg.start()) {
        for (String tier : List.of("\"priority\"", "\"scale\"", "\"turbo\"", "1")) {
          HttpResponse<String> r = post(g.port(), "/routes/remote",
              "{\"service_tier\":" + tier + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
          assertEquals(400, r.statusCode(), tier + ": " + r.body());
          JsonNode error = JSON.readTree(r.body()).path("error");
          assertEquals("invalid_request", error.path("code").asText());
          assertTrue(error.path("message").asText().startsWith("service_tier:"), r.body());
        }
        assertEquals(0, calls.get(), "a refused tier reached the provider");
        for (String tier : List.of("\"flex\"", "\"auto\"", "\"default\"", "null")) {
          assertEquals(200, post(g.port(), "/routes/remote",
              "{\"service_tier\":" + tier + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").statusCode(), tier);
        }
      }
      assertEquals(4 * WORST, SealedGateway.route(sg.spendToday(), "remote"), "the refused calls were released");
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void tenantCapRefusesEvenWhenTheRouteCouldPay() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (MockWebServer provider = new MockWebServer()) {
      provider.setDispatcher(worstCaseAnswers(calls));
      provider.start();
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.of(new BigDecimal(usd(WORST + 1))),
          List.of(capped(provider.url("/v1").uri(), "100")));
      try (Gateway g = sg.start()) {
        assertEquals(200, post(g.port(), "/routes/remote", chat("hi", MAX_OUT)).statusCode());
        HttpResponse<String> refused = post(g.port(), "/routes/remote", chat("hi", MAX_OUT));
        assertEquals(402, refused.statusCode());
        assertTrue(refused.body().contains("tenant prod daily cap"), refused.body());
        assertEquals(1, calls.get());
      }
      Map<SpendKey, Long> spend = sg.spendToday();
      assertEquals(WORST, spend.get(SpendKey.tenant("prod")));
    }
  }

  @Test
  void twoHundredParallelCallsAgainstACapThatCoversFifty() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (MockWebServer provider = new MockWebServer()) {
      provider.setDispatcher(worstCaseAnswers(calls));
      provider.start();
      long cap = 50 * WORST;
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(capped(provider.url("/v1").uri(), usd(cap))));
      int ok = 0;
      int refused = 0;
      try (Gateway g = sg.start()) {
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          all.add(SealedGateway.HTTP.sendAsync(SealedGateway.request(g.port(), "/routes/remote", chat("hi", MAX_OUT)),
              HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> f : all) {
          int status = f.get().statusCode();
          if (status == 200) {
            ok++;
          } else {
            assertEquals(402, status, f.get().body());
            refused++;
          }
        }
      }
      // Each call settles at exactly its hold, so a leaked hold would leave fewer than 50 paid.
      assertEquals(50, ok);
      assertEquals(150, refused);
      assertEquals(50, calls.get());
      Map<SpendKey, Long> spend = sg.withStore(store -> assertEquals(List.of(), store.recoverOpenHolds()));
      assertEquals(cap, SealedGateway.route(spend, "remote"));
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void aRestartInTheMiddleOfTheDayKeepsTheSpend() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    try (MockWebServer provider = new MockWebServer()) {
      provider.setDispatcher(worstCaseAnswers(calls));
      provider.start();
      long cap = 2 * WORST + WORST / 2;
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(capped(provider.url("/v1").uri(), usd(cap))));
      try (Gateway g = sg.start()) {
        assertEquals(200, post(g.port(), "/routes/remote", chat("hi", MAX_OUT)).statusCode());
        assertEquals(200, post(g.port(), "/routes/remote", chat("hi", MAX_OUT)).statusCode());
      }
      try (Gateway g = sg.start()) {
        HttpResponse<String> refused = post(g.port(), "/routes/remote", chat("hi", MAX_OUT));
        assertEquals(402, refused.statusCode(), refused.body());
      }
      assertEquals(2, calls.get());
      assertEquals(2 * WORST, SealedGateway.route(sg.spendToday(), "remote"));
    }
  }
}
