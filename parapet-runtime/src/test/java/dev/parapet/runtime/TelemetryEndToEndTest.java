package dev.parapet.runtime;

import static dev.parapet.runtime.TelemetryFixture.ADMIN;
import static dev.parapet.runtime.TelemetryFixture.ADMIN_PASSWORD;
import static dev.parapet.runtime.TelemetryFixture.JSON;
import static dev.parapet.runtime.TelemetryFixture.VIEWER;
import static dev.parapet.runtime.TelemetryFixture.VIEWER_PASSWORD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.core.budget.Cost;
import dev.parapet.core.config.Pricing;
import dev.parapet.core.seal.KeyPurpose;
import dev.parapet.core.store.HoldRecord;
import dev.parapet.core.store.SettlementRecord;
import dev.parapet.core.store.StoreOptions;
import dev.parapet.core.store.TelemetryStore;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.TestConfigs;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The usage surface over real sockets: a scripted run of calls on priced echo routes, then every
 * grouping of {@code /_parapet/usage} must equal, to the nano-USD, the sum of what each answer
 * reported times its route's price.
 */
class TelemetryEndToEndTest {
  @TempDir Path tmp;

  /** Expected figures of one group. */
  static final class Figures {
    long requests;
    long tokensIn;
    long tokensOut;
    long costNanos;
    long blocked;

    void add(long in, long out, long cost) {
      requests++;
      tokensIn += in;
      tokensOut += out;
      costNanos += cost;
    }
  }

  private static final Map<String, Pricing> PRICES = Map.of(
      "summarizer", TelemetryFixture.price("2", "4"),
      "writer", TelemetryFixture.price("1", "1"),
      "elsewhere", TelemetryFixture.price("3", "5"));

  @Test
  void usageFiguresEqualWhatTheScriptedCallsCost() throws Exception {
    try (TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), URI.create("http://127.0.0.1:9/v1")).boot()) {
      Map<String, Figures> byRoute = new TreeMap<>();
      Map<String, Figures> byTenant = new TreeMap<>();
      Map<String, Figures> byService = new TreeMap<>();
      Figures total = new Figures();
      String[][] script = {
        {TestConfigs.TOKEN_A, "svc-a", "prod", "summarizer", "hello there"},
        {TestConfigs.TOKEN_A, "svc-a", "prod", "summarizer", "a somewhat longer prompt with more words in it"},
        {TestConfigs.TOKEN_A, "svc-a", "prod", "writer", "write me a haiku about gateways"},
        {TestConfigs.TOKEN_B, "svc-b", "other", "elsewhere", "one two three four five six"},
        {TestConfigs.TOKEN_A, "svc-a", "prod", "summarizer", "x"},
        {TestConfigs.TOKEN_B, "svc-b", "other", "elsewhere", "ok"},
      };
      for (String[] call : script) {
        HttpResponse<String> r = fx.call(call[0], call[3], call[4]);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode usage = JSON.readTree(r.body()).get("usage");
        long in = usage.get("prompt_tokens").asLong();
        long out = usage.get("completion_tokens").asLong();
        assertTrue(in > 0 && out > 0, r.body());
        long cost = Cost.actual(PRICES.get(call[3]), in, out);
        byRoute.computeIfAbsent(call[3], k -> new Figures()).add(in, out, cost);
        byTenant.computeIfAbsent(call[2], k -> new Figures()).add(in, out, cost);
        byService.computeIfAbsent(call[1], k -> new Figures()).add(in, out, cost);
        total.add(in, out, cost);
      }
      // A policy refusal: svc-b may not call summarizer. Recorded with no route, counted blocked.
      assertEquals(403, fx.call(TestConfigs.TOKEN_B, "summarizer", "hi").statusCode());
      Figures refused = byService.get("svc-b");
      refused.requests++;
      refused.blocked++;
      byTenant.get("other").requests++;
      byTenant.get("other").blocked++;
      Figures dash = new Figures();
      dash.requests = 1;
      dash.blocked = 1;
      byRoute.put("-", dash);
      total.requests++;
      total.blocked++;
      // A bad token: recorded for tenant and service "-", not blocked (not a policy decision).
      assertEquals(401, fx.call("not-a-token-123", "summarizer", "hi").statusCode());
      byRoute.get("-").requests++;
      Figures anon = new Figures();
      anon.requests = 1;
      byTenant.put("-", anon);
      Figures anonService = new Figures();
      anonService.requests = 1;
      byService.put("-", anonService);
      total.requests++;

      awaitRequests(fx, total.requests);
      assertGroups(byRoute, fx.adminJson("/_parapet/usage?group_by=route"));
      assertGroups(byRoute, fx.adminJson("/_parapet/usage")); // route is the default
      assertGroups(byTenant, fx.adminJson("/_parapet/usage?group_by=tenant"));
      assertGroups(byService, fx.adminJson("/_parapet/usage?group_by=service"));
      String today = LocalDate.now(ZoneOffset.UTC).toString();
      Map<String, Figures> byDay = Map.of(today, total);
      assertGroups(byDay, fx.adminJson("/_parapet/usage?group_by=day&from=" + today + "&to=" + today));
      // The viewer reads usage too.
      HttpResponse<String> viewer = fx.get("/_parapet/usage?group_by=tenant", VIEWER, VIEWER_PASSWORD);
      assertEquals(200, viewer.statusCode(), viewer.body());
      assertEquals("application/json", viewer.headers().firstValue("content-type").orElse(""));

      JsonNode todayCaps = fx.adminJson("/_parapet/usage").get("today");
      assertEquals(today, todayCaps.get("date").asText());
      Map<String, String> routeCaps = new HashMap<>();
      for (JsonNode r : todayCaps.get("routes")) {
        routeCaps.put(r.get("name").asText(), r.get("cap_usd").asText());
        BigDecimal left = new BigDecimal(r.get("cap_usd").asText()).subtract(new BigDecimal(r.get("spent_usd").asText()));
        assertEquals(0, left.compareTo(new BigDecimal(r.get("remaining_usd").asText())), r.toString());
      }
      assertEquals(Map.of("summarizer", "5.000000000", "writer", "3.000000000", "elsewhere", "7.000000000",
          "remote", "5.000000000"), routeCaps);
      Map<String, JsonNode> tenants = new HashMap<>();
      todayCaps.get("tenants").forEach(t -> tenants.put(t.get("name").asText(), t));
      assertEquals(2, tenants.size());
      assertEquals("10.000000000", tenants.get("prod").get("cap_usd").asText());
      assertTrue(tenants.get("other").get("cap_usd").isNull());
      assertTrue(tenants.get("other").get("remaining_usd").isNull());
      assertTrue(tenants.get("other").get("spent_usd").isTextual());
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void todaysCapsAndGaugesShowSettledSpendAndRecoveredHolds() throws Exception {
    TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), URI.create("http://127.0.0.1:9/v1"));
    LocalDate today = LocalDate.now(ZoneOffset.UTC);
    // What a previous process left: one settled call, one hold open when it died.
    try (TelemetryStore store = TelemetryStore.open(fx.dataDir, fx.key.deriveKey(KeyPurpose.STORE),
        fx.key.deriveKey(KeyPurpose.STORE_MAC), StoreOptions.defaults())) {
      store.persistHold(new HoldRecord("h-1", today, "summarizer", "prod", 2_000_000_000L, Instant.now()))
          .get(5, TimeUnit.SECONDS);
      store.persistSettlement(new SettlementRecord("h-1", today, "summarizer", "prod", 1_250_000_000L));
      store.persistHold(new HoldRecord("h-2", today, "writer", "prod", 500_000_000L, Instant.now()))
          .get(5, TimeUnit.SECONDS);
    }
    try (fx) {
      fx.boot(); // settles h-2 at its worst case
      Map<String, JsonNode> caps = new HashMap<>();
      JsonNode todayCaps = fx.adminJson("/_parapet/usage").get("today");
      todayCaps.get("routes").forEach(r -> caps.put("route:" + r.get("name").asText(), r));
      todayCaps.get("tenants").forEach(t -> caps.put("tenant:" + t.get("name").asText(), t));
      assertEquals("1.250000000", caps.get("route:summarizer").get("spent_usd").asText());
      assertEquals("3.750000000", caps.get("route:summarizer").get("remaining_usd").asText());
      assertEquals("0.500000000", caps.get("route:writer").get("spent_usd").asText());
      assertEquals("2.500000000", caps.get("route:writer").get("remaining_usd").asText());
      assertEquals("1.750000000", caps.get("tenant:prod").get("spent_usd").asText());
      assertEquals("8.250000000", caps.get("tenant:prod").get("remaining_usd").asText());
      assertEquals("0.000000000", caps.get("route:elsewhere").get("spent_usd").asText());

      JsonNode recovered = fx.adminJson("/_parapet/events?kind=hold_recovered").get("events");
      assertEquals(1, recovered.size(), recovered.toString());
      assertEquals("writer", recovered.get(0).get("route").asText());
      assertEquals("0.500000000", recovered.get(0).get("details").get("worst_case_usd").asText(), recovered.toString());

      double gauge = -1;
      for (int i = 0; i < 50 && gauge != 3.75; i++) { // the gauges refresh off the event loop
        gauge = PrometheusText.parse(fx.admin("/_parapet/metrics").body())
            .value("parapet_budget_remaining_usd", "scope", "route", "name", "summarizer");
        Thread.sleep(20);
      }
      assertEquals(3.75, gauge);
      PrometheusText metrics = PrometheusText.parse(fx.admin("/_parapet/metrics").body());
      assertEquals(2.5, metrics.value("parapet_budget_remaining_usd", "scope", "route", "name", "writer"));
      assertEquals(8.25, metrics.value("parapet_budget_remaining_usd", "scope", "tenant", "name", "prod"));
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * A provider that quotes the route's key in a 200 answer: the caller reads it masked, and the
   * metric an operator alerts on counts that route's call (every route's series is there from boot,
   * at 0), not a clean answer's.
   */
  @Test
  void aProviderQuotingTheKeyInAnAnswerIsCounted() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json")
          .body(SealedGateway.completion("gpt-4o-2024-08-06", "your key is " + TelemetryFixture.PROVIDER_KEY, 7, 2))
          .build());
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json")
          .body(SealedGateway.completion("gpt-4o-2024-08-06", "ok", 7, 2)).build());
      URI base = URI.create("http://127.0.0.1:" + provider.getPort() + "/v1");
      try (TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), base).boot()) {
        PrometheusText before = PrometheusText.parse(fx.admin("/_parapet/metrics").body());
        assertEquals(0.0, before.value("parapet_provider_key_masked_total", "route", "remote"));
        assertEquals(0.0, before.value("parapet_provider_key_masked_total", "route", "summarizer"));
        HttpResponse<String> echoed = fx.call(TestConfigs.TOKEN_A, "remote", "hi");
        assertEquals(200, echoed.statusCode(), echoed.body());
        assertFalse(echoed.body().contains(TelemetryFixture.PROVIDER_KEY), echoed.body());
        assertTrue(echoed.body().contains("your key is [REDACTED]"), echoed.body());
        assertEquals(200, fx.call(TestConfigs.TOKEN_A, "remote", "hi").statusCode());
        awaitRequests(fx, 2);
        PrometheusText after = PrometheusText.parse(fx.admin("/_parapet/metrics").body());
        assertEquals(1.0, after.value("parapet_provider_key_masked_total", "route", "remote"));
        assertEquals(0.0, after.value("parapet_provider_key_masked_total", "route", "summarizer"));
      }
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * A stream the guard cuts (no usage reported) is charged the tokens it carried; its row and the
   * cost meter say so, so that the usage surface's cost equals what today's caps were charged. Then
   * a complete answer with usage adds exactly that.
   */
  @Test
  void aCallWithoutReportedUsageIsRecordedAtWhatItWasCharged() throws Exception {
    List<String> deltas = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      deltas.add(" word" + i); // far above the route's max_tokens_out (100)
    }
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(AnswerPolicyEndToEndTest.sse("gpt-4o-2024-08-06", deltas));
      provider.enqueue(new MockResponse.Builder()
          .addHeader("Content-Type", "application/json")
          .body(SealedGateway.completion("gpt-4o-2024-08-06", "ok", 7, 2))
          .build());
      URI base = URI.create("http://127.0.0.1:" + provider.getPort() + "/v1");
      try (TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), base).boot()) {
        HttpResponse<String> cut = HttpClient.newHttpClient().send(HttpRequest.newBuilder(fx.uri("/routes/remote"))
                .header("Authorization", "Bearer " + TestConfigs.TOKEN_A)
                .POST(HttpRequest.BodyPublishers.ofString(
                    "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, cut.statusCode());
        assertTrue(cut.body().contains("stream_truncated"), cut.body());
        awaitRequests(fx, 1);
        JsonNode first = group(fx.adminJson("/_parapet/usage?group_by=route"), "remote");
        assertTrue(first.get("tokens_in").asLong() > 0, first.toString());
        assertTrue(first.get("tokens_out").asLong() >= 100, "the guard cut above max_tokens_out: " + first);
        BigDecimal firstCost = new BigDecimal(first.get("cost_usd").asText());
        // $1 per 1M tokens either way
        assertEquals(0, firstCost.compareTo(Cost.toUsd(
            (first.get("tokens_in").asLong() + first.get("tokens_out").asLong()) * 1000L)), first.toString());

        assertEquals(200, fx.call(TestConfigs.TOKEN_A, "remote", "hi").statusCode());
        awaitRequests(fx, 2);
        JsonNode usage = fx.adminJson("/_parapet/usage?group_by=route");
        JsonNode both = group(usage, "remote");
        assertEquals(first.get("tokens_in").asLong() + 7, both.get("tokens_in").asLong());
        assertEquals(first.get("tokens_out").asLong() + 2, both.get("tokens_out").asLong());
        BigDecimal cost = new BigDecimal(both.get("cost_usd").asText());
        assertEquals(0, cost.compareTo(firstCost.add(Cost.toUsd(9_000))), both.toString());
        JsonNode today = null;
        for (JsonNode r : usage.get("today").get("routes")) {
          if (r.get("name").asText().equals("remote")) {
            today = r;
          }
        }
        assertEquals(0, cost.compareTo(new BigDecimal(today.get("spent_usd").asText())),
            "the rows' cost is what the cap was charged: " + usage);

        PrometheusText metrics = PrometheusText.parse(fx.admin("/_parapet/metrics").body());
        assertEquals(cost.doubleValue(), metrics.value("parapet_cost_usd_total", "route", "remote", "tenant", "prod"), 1e-12);
        assertEquals(both.get("tokens_out").asDouble(),
            metrics.value("parapet_tokens_total", "route", "remote", "tenant", "prod", "direction", "out"));
      }
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * A refusal of a route the caller may call — another model named (403 {@code model_not_allowed},
   * blocked), a body that is not JSON or not a chat request (400 {@code invalid_request}) — is
   * counted under that route, as its tenant's and service's: group {@code -} is for requests with no
   * route. Its {@code denied} event names the route too.
   */
  @Test
  void aRefusalOfAPermittedRouteCountsUnderThatRoute() throws Exception {
    try (TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), URI.create("http://127.0.0.1:9/v1")).boot()) {
      HttpClient http = HttpClient.newHttpClient();
      String[][] calls = {
        {"/routes/summarizer", "{\"model\":\"gpt-3.5-turbo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "403"},
        {"/routes/summarizer", "{\"messages\":\"not a list\"}", "400"},
        {"/routes/writer", "not json at all", "400"},
      };
      for (String[] c : calls) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(fx.uri(c[0]))
                .header("Authorization", "Bearer " + TestConfigs.TOKEN_A)
                .POST(HttpRequest.BodyPublishers.ofString(c[1])).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(Integer.parseInt(c[2]), r.statusCode(), r.body());
      }
      awaitRequests(fx, calls.length);
      Map<String, Figures> byRoute = new TreeMap<>();
      Figures summarizer = new Figures();
      summarizer.requests = 2;
      summarizer.blocked = 1;
      byRoute.put("summarizer", summarizer);
      Figures writer = new Figures();
      writer.requests = 1;
      byRoute.put("writer", writer);
      assertGroups(byRoute, fx.adminJson("/_parapet/usage?group_by=route"));
      Figures prod = new Figures();
      prod.requests = 3;
      prod.blocked = 1;
      assertGroups(Map.of("prod", prod), fx.adminJson("/_parapet/usage?group_by=tenant"));

      JsonNode denied = fx.adminJson("/_parapet/events?kind=denied").get("events");
      assertEquals(1, denied.size(), denied.toString());
      assertEquals("model_not_allowed", denied.get(0).get("details").get("code").asText());
      assertEquals("summarizer", denied.get(0).get("route").asText(), denied.toString());
      assertEquals("svc-a", denied.get(0).get("service").asText());
    }
    LeakWatch.assertNoLeaks();
  }

  private static JsonNode group(JsonNode usage, String name) {
    for (JsonNode g : usage.get("groups")) {
      if (g.get("group").asText().equals(name)) {
        return g;
      }
    }
    throw new AssertionError("no group " + name + " in " + usage);
  }

  @Test
  void badUsageParametersAreNamed() throws Exception {
    try (TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), URI.create("http://127.0.0.1:9/v1")).boot()) {
      String[][] cases = {
        {"/_parapet/usage?group_by=model", "group_by"},
        {"/_parapet/usage?from=2026-13-01", "from"},
        {"/_parapet/usage?from=yesterday", "from"},
        {"/_parapet/usage?to=2026-02-30", "to"},
        {"/_parapet/usage?from=2026-01-02&to=2026-01-01", "from"},
        {"/_parapet/usage?from=2020-01-01&to=2026-01-01", "to"},
        {"/_parapet/usage?from=2026-01-01&from=2026-01-02", "from"},
        {"/_parapet/usage?tenant=prod", "unknown parameter"},
        {"/_parapet/events?limit=0", "limit"},
        {"/_parapet/events?limit=1001", "limit"},
        {"/_parapet/events?limit=ten", "limit"},
        {"/_parapet/events?kind=everything", "kind"},
        {"/_parapet/events?since=last-week", "since"},
        {"/_parapet/metrics?x=1", "unknown parameter"},
      };
      for (String[] c : cases) {
        HttpResponse<String> r = fx.admin(c[0]);
        assertEquals(400, r.statusCode(), c[0] + " " + r.body());
        JsonNode error = JSON.readTree(r.body()).get("error");
        assertEquals("invalid_request", error.get("code").asText());
        assertTrue(error.get("message").asText().startsWith(c[1]), c[0] + " " + r.body());
      }
      assertEquals(200, fx.admin("/_parapet/events?since=2026-01-01T00:00:00Z&kind=denied&limit=5").statusCode());
      assertEquals(200, fx.admin("/_parapet/events?since=2026-01-01").statusCode());
    }
    LeakWatch.assertNoLeaks();
  }

  /** Store writes are asynchronous (a writer thread, 5 ms batches): wait until every row is in. */
  static void awaitRequests(TelemetryFixture fx, long expected) throws Exception {
    long seen = -1;
    for (int i = 0; i < 100; i++) {
      seen = 0;
      for (JsonNode g : fx.adminJson("/_parapet/usage?group_by=day").get("groups")) {
        seen += g.get("requests").asLong();
      }
      if (seen == expected) {
        return;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("requests recorded: " + seen + ", expected " + expected);
  }

  private static void assertGroups(Map<String, Figures> expected, JsonNode usage) {
    Map<String, String> want = new TreeMap<>();
    expected.forEach((k, f) -> want.put(k, f.requests + "/" + f.tokensIn + "/" + f.tokensOut + "/"
        + Cost.toUsd(f.costNanos).toPlainString() + "/" + f.blocked));
    Map<String, String> got = new TreeMap<>();
    for (JsonNode g : usage.get("groups")) {
      assertTrue(g.get("cost_usd").isTextual(), g.toString());
      got.put(g.get("group").asText(), g.get("requests").asLong() + "/" + g.get("tokens_in").asLong() + "/"
          + g.get("tokens_out").asLong() + "/" + g.get("cost_usd").asText() + "/" + g.get("blocked").asLong());
    }
    assertEquals(want, got, usage.toString());
  }
}
