package dev.parapet.runtime;

import static dev.parapet.runtime.TelemetryFixture.JSON;
import static dev.parapet.runtime.TelemetryFixture.price;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Role;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.config.User;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.SecretValue;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.testing.TestConfigs;
import dev.parapet.runtime.upstream.FakeProvider;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Set;
import java.util.TreeSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finance's reconciliation over real sockets: a mix of calls on two tenants, three services and five
 * routes — answers with usage, a stream with usage, and every kind of refusal and failure (401,
 * 403 both ways, 400 both ways, 402, 413, 405, 422, 502 drift, 502 provider error, 504, a stream a
 * guard cut, a caller who left mid-stream) — then every grouping of {@code /_parapet/usage} adds
 * up to the same day, each route's and tenant's cost is what its cap was charged today, to the
 * nano-USD, every enforcement kind was recorded, and no figure or event holds a prompt, an answer,
 * a token or a key.
 */
class UsageReconciliationEndToEndTest {
  @TempDir Path tmp;
  static final String MODEL = "gpt-4o-2024-08-06";
  static final String PROMPT = "prompt-text-PPP";
  static final String ANSWER = "answer-text-QQQ";

  static Route openai(String name, String tenant, URI base, int maxIn, RedactionPolicy r) {
    return new Route(name, tenant, new ProviderSpec(ProviderType.OPENAI, MODEL, Optional.of("OPENAI_KEY"),
        Optional.of(base), List.of(), Optional.of(price("1", "1")), 1500),
        new Policy(maxIn, 100, new BigDecimal("5"), true, r));
  }

  static Route echo(String name, String tenant, String in, String out, String budget) {
    return new Route(name, tenant, new ProviderSpec(ProviderType.ECHO, "echo-" + name, Optional.empty(),
        Optional.empty(), List.of(), Optional.of(price(in, out)), 60_000),
        new Policy(6000, 200, new BigDecimal(budget), true, RedactionPolicy.OFF));
  }

  static String chunk(String content) {
    return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + MODEL
        + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content + "\"},\"finish_reason\":null}]}\n\n";
  }

  @Test
  void everyGroupingAddsUpToTheLedgerAndEveryKindIsRecorded() throws Exception {
    LeakWatch.start();
    FakeProvider provider = new FakeProvider((r, c) -> {
      String b = r.body();
      if (b.contains("case-drift")) {
        c.full(200, "application/json", SealedGateway.completion("gpt-4o-mini", ANSWER, 5, 1));
      } else if (b.contains("case-boom")) {
        c.full(500, "application/json", "{\"error\":{\"message\":\"boom\"}}");
      } else if (b.contains("case-slow")) {
        c.awaitPeerClose();
        c.close = true;
      } else if (b.contains("case-long")) {
        c.sseHead();
        for (int i = 0; i < 300; i++) {
          c.chunk(chunk(" word" + i));
        }
        c.chunk("data: [DONE]\n\n");
        c.endChunks();
      } else if (b.contains("case-leave")) {
        c.sseHead();
        c.chunk(chunk(ANSWER));
        c.awaitPeerClose();
        c.close = true;
      } else if (b.contains("case-stream")) {
        c.sseHead();
        c.chunk(chunk(ANSWER));
        c.chunk("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + MODEL
            + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":8,\"completion_tokens\":3,\"total_tokens\":11}}\n\n");
        c.chunk("data: [DONE]\n\n");
        c.endChunks();
      } else {
        c.full(200, "application/json", SealedGateway.completion(MODEL, ANSWER, 7, 2));
      }
    });
    URI base = provider.baseUrl("http", "127.0.0.1");
    RedactionPolicy block = new RedactionPolicy(RedactionMode.BLOCK, List.of(RedactionPattern.EMAIL), false);
    RedactionPolicy warn = new RedactionPolicy(RedactionMode.WARN, List.of(RedactionPattern.EMAIL), false);
    ParapetSpec spec = new ParapetSpec(1,
        List.of(new Tenant("prod", Optional.of(new BigDecimal("10")), Optional.empty()),
            new Tenant("other", Optional.empty(), Optional.empty())),
        List.of(echo("summarizer", "prod", "2", "4", "5"),
            openai("remote", "prod", base, 6000, RedactionPolicy.OFF),
            openai("guarded", "prod", base, 50, block),
            openai("warned", "other", base, 6000, warn),
            echo("tiny", "other", "3", "5", "0.000001")),
        List.of(new Service("svc-a", "prod", List.of("summarizer", "remote", "guarded"), "SVC_A_TOKEN"),
            new Service("svc-b", "other", List.of("warned", "tiny"), "SVC_B_TOKEN")),
        List.of(new User(TelemetryFixture.ADMIN, Role.ADMIN, "ALICE_PASSWORD"),
            new User(TelemetryFixture.VIEWER, Role.VIEWER, "VICTOR_PASSWORD")));
    HydratedConfig config = new HydratedConfig(spec, Map.of("OPENAI_KEY", SecretValue.of(TelemetryFixture.PROVIDER_KEY)),
        Map.of("svc-a", TestConfigs.digest(TestConfigs.TOKEN_A), "svc-b", TestConfigs.digest(TestConfigs.TOKEN_B)),
        TelemetryFixture.HASHES);
    HttpClient http = HttpClient.newHttpClient();
    try (provider; TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), config)) {
      fx.env.put("PARAPET_MAX_BODY_BYTES", "4096");
      fx.boot();
      String[][] calls = { // token, route, prompt, expected status
        {TestConfigs.TOKEN_A, "summarizer", "hello " + PROMPT, "200"},
        {TestConfigs.TOKEN_A, "remote", "case-ok " + PROMPT, "200"},
        {TestConfigs.TOKEN_A, "remote", "case-drift " + PROMPT, "502"},
        {TestConfigs.TOKEN_A, "remote", "case-boom " + PROMPT, "502"},
        {TestConfigs.TOKEN_A, "remote", "case-slow " + PROMPT, "504"},
        {TestConfigs.TOKEN_A, "guarded", "mail alice@example.com " + PROMPT, "422"},
        {TestConfigs.TOKEN_A, "guarded", "long ".repeat(80), "400"},
        {TestConfigs.TOKEN_B, "warned", "mail bob@example.com " + PROMPT, "200"},
        {TestConfigs.TOKEN_B, "tiny", PROMPT + " and more words to count here", "402"},
        {TestConfigs.TOKEN_B, "summarizer", PROMPT, "403"},
        {"bad-token-xyz-123", "summarizer", PROMPT, "401"},
      };
      for (String[] c : calls) {
        HttpResponse<String> r = fx.call(c[0], c[1], c[2]);
        assertEquals(Integer.parseInt(c[3]), r.statusCode(), c[1] + " " + r.body());
      }
      String[][] raw = { // body to /routes/remote, expected status
        {"{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"case-stream " + PROMPT + "\"}]}", "200"},
        {"{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"case-long " + PROMPT + "\"}]}", "200"},
        {"{\"model\":\"gpt-3.5-turbo\",\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}]}", "403"},
        {"not json " + PROMPT, "400"},
        {"{\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(5000) + "\"}]}", "413"},
      };
      for (String[] c : raw) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(fx.uri("/routes/remote"))
            .header("Authorization", "Bearer " + TestConfigs.TOKEN_A)
            .POST(HttpRequest.BodyPublishers.ofString(c[0])).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(Integer.parseInt(c[1]), r.statusCode(), r.body());
      }
      assertEquals(405, http.send(HttpRequest.newBuilder(fx.uri("/routes/remote"))
          .header("Authorization", "Bearer " + TestConfigs.TOKEN_A).GET().build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());
      try (RawHttp leaver = fx.gatewayRaw()) { // reads the head of a stream, then leaves
        String body = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"case-leave " + PROMPT + "\"}]}";
        leaver.send("POST /routes/remote HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer " + TestConfigs.TOKEN_A
            + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        assertEquals(200, leaver.readHead().status());
      }
      TelemetryEndToEndTest.awaitRequests(fx, calls.length + raw.length + 2);

      Map<String, JsonNode> usage = new HashMap<>();
      for (String g : new String[] {"route", "tenant", "service", "day"}) {
        HttpResponse<String> r = fx.admin("/_parapet/usage?group_by=" + g);
        assertEquals(200, r.statusCode(), r.body());
        assertNoSecret(r.body());
        usage.put(g, JSON.readTree(r.body()));
      }
      // Every grouping adds up to the same day.
      String day = totals(usage.get("day"));
      for (String g : new String[] {"route", "tenant", "service"}) {
        assertEquals(day, totals(usage.get(g)), g + ": " + usage.get(g));
      }
      // requests/blocked: every request counted; blocked as docs/telemetry.md lists them
      // (drift, redaction_blocked, max_tokens_in_exceeded, budget_exceeded, route_forbidden, model_not_allowed).
      assertEquals("18/6", figure(usage.get("day"), LocalDate.now(ZoneOffset.UTC).toString(), "requests", "blocked"));
      assertEquals("4/1", figure(usage.get("route"), "-", "requests", "blocked"), "401, 403 route_forbidden, 405, 413");
      assertEquals("9/2", figure(usage.get("route"), "remote", "requests", "blocked"));
      assertEquals("2/2", figure(usage.get("route"), "guarded", "requests", "blocked"));
      assertEquals("1/1", figure(usage.get("route"), "tiny", "requests", "blocked"));
      // Rows' cost is what each cap was charged today, to the nano-USD.
      JsonNode today = usage.get("route").get("today");
      long routesSpent = 0;
      for (JsonNode r : today.get("routes")) {
        String name = r.get("name").asText();
        JsonNode g = group(usage.get("route"), name);
        String cost = g == null ? "0.000000000" : g.get("cost_usd").asText();
        assertEquals(cost, r.get("spent_usd").asText(), name + ": " + usage.get("route"));
        routesSpent += nanos(r.get("spent_usd").asText());
        assertEquals(nanos(r.get("cap_usd").asText()) - nanos(r.get("spent_usd").asText()),
            nanos(r.get("remaining_usd").asText()), r.toString());
      }
      long tenantsSpent = 0;
      for (JsonNode t : today.get("tenants")) {
        JsonNode g = group(usage.get("tenant"), t.get("name").asText());
        assertEquals(g == null ? "0.000000000" : g.get("cost_usd").asText(), t.get("spent_usd").asText(), t.toString());
        tenantsSpent += nanos(t.get("spent_usd").asText());
      }
      assertEquals(routesSpent, tenantsSpent);
      assertEquals(routesSpent, nanos(group(usage.get("day"), LocalDate.now(ZoneOffset.UTC).toString()).get("cost_usd").asText()));

      HttpResponse<String> events = fx.admin("/_parapet/events?limit=1000");
      assertEquals(200, events.statusCode(), events.body());
      assertNoSecret(events.body());
      Set<String> kinds = new TreeSet<>();
      JSON.readTree(events.body()).get("events").forEach(e -> kinds.add(e.get("kind").asText()));
      assertEquals(new TreeSet<>(List.of("denied", "budget_exceeded", "redacted", "redaction_blocked", "model_drift",
          "stream_truncated", "upstream_error")), kinds, events.body());
    }
    LeakWatch.assertNoLeaks();
  }

  private static void assertNoSecret(String json) {
    for (String secret : List.of(PROMPT, ANSWER, "alice@example.com", "bob@example.com", TelemetryFixture.PROVIDER_KEY,
        TestConfigs.TOKEN_A, TestConfigs.TOKEN_B, TelemetryFixture.ADMIN_PASSWORD)) {
      assertFalse(json.contains(secret), json);
    }
  }

  private static long nanos(String usd) {
    return new BigDecimal(usd).movePointRight(9).longValueExact();
  }

  private static JsonNode group(JsonNode usage, String name) {
    for (JsonNode g : usage.get("groups")) {
      if (g.get("group").asText().equals(name)) {
        return g;
      }
    }
    return null;
  }

  private static String figure(JsonNode usage, String name, String a, String b) {
    JsonNode g = group(usage, name);
    return g == null ? null : g.get(a).asLong() + "/" + g.get(b).asLong();
  }

  /** requests/tokens_in/tokens_out/cost nanos/blocked, summed over the groups. */
  private static String totals(JsonNode usage) {
    long[] t = new long[5];
    for (JsonNode g : usage.get("groups")) {
      t[0] += g.get("requests").asLong();
      t[1] += g.get("tokens_in").asLong();
      t[2] += g.get("tokens_out").asLong();
      t[3] += nanos(g.get("cost_usd").asText());
      t[4] += g.get("blocked").asLong();
    }
    return t[0] + "/" + t[1] + "/" + t[2] + "/" + t[3] + "/" + t[4];
  }
}
