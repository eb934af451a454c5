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
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.testing.TestConfigs;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read-only surfaces over real sockets: basic auth and roles, 404/405 under /_parapet/, the
 * login cache and the failure limit, enforcement events, and the metrics exposition.
 */
class SurfacesEndToEndTest {
  @TempDir Path tmp;

  private TelemetryFixture fixture() {
    return new TelemetryFixture(tmp.resolve("data"), URI.create("http://127.0.0.1:9/v1"));
  }

  @Test
  void basicAuthRolesAndPaths() throws Exception {
    try (TelemetryFixture fx = fixture().boot()) {
      assertEquals(200, fx.get("/_parapet/usage", VIEWER, VIEWER_PASSWORD).statusCode());
      assertEquals(200, fx.get("/_parapet/metrics", VIEWER, VIEWER_PASSWORD).statusCode());
      assertEquals(200, fx.get("/_parapet/events", ADMIN, ADMIN_PASSWORD).statusCode());
      assertRefused(fx.get("/_parapet/events", VIEWER, VIEWER_PASSWORD), 403, "forbidden");

      for (HttpResponse<String> r : List.of(
          fx.get("/_parapet/usage", ADMIN, "wrong-password"),
          fx.get("/_parapet/usage", "mallory", ADMIN_PASSWORD),
          fx.get("/_parapet/usage", VIEWER, ADMIN_PASSWORD),
          fx.get("/_parapet/metrics", null, null))) {
        assertRefused(r, 401, "unauthorized");
        assertEquals("Basic realm=\"parapet\"", r.headers().firstValue("www-authenticate").orElse(""));
      }
      // From another loopback address: these failures count against that client (see the limit test).
      try (RawHttp c = new RawHttp(connectFrom(fx, InetAddress.getByName("127.0.0.3")))) {
        String[] malformed = {
          "Bearer " + TestConfigs.TOKEN_A,
          "Basic",
          "Basic !!!!",
          "Basic " + java.util.Base64.getEncoder().encodeToString("no-colon".getBytes()),
          "Basic " + java.util.Base64.getEncoder().encodeToString(":empty-user".getBytes()),
          "Basic " + "A".repeat(2000),
        };
        for (String h : malformed) {
          c.send("GET /_parapet/usage HTTP/1.1\r\nHost: p\r\nAuthorization: " + h + "\r\n\r\n");
          assertEquals(401, c.read().status(), h);
        }
        String good = TelemetryFixture.basic(ADMIN, ADMIN_PASSWORD);
        c.send("GET /_parapet/usage HTTP/1.1\r\nHost: p\r\nAuthorization: " + good
            + "\r\nAuthorization: " + good + "\r\n\r\n");
        assertEquals(401, c.read().status(), "two Authorization headers");
        c.send("POST /_parapet/usage HTTP/1.1\r\nHost: p\r\nAuthorization: " + good
            + "\r\nContent-Length: 0\r\n\r\n");
        RawHttp.Response post = c.read();
        assertEquals(405, post.status());
        assertEquals("GET", post.header("allow"));
        for (String method : new String[] {"PUT", "DELETE", "PATCH"}) {
          c.send(method + " /_parapet/events HTTP/1.1\r\nHost: p\r\nContent-Length: 0\r\n\r\n");
          assertEquals(405, c.read().status(), method);
        }
        c.send("GET /_parapet/x HTTP/1.1\r\nHost: p\r\nAuthorization: " + good + "\r\n\r\n");
        assertEquals(404, c.read().status());
        c.send("GET /_parapet/usage/ HTTP/1.1\r\nHost: p\r\nAuthorization: " + good + "\r\n\r\n");
        assertEquals(404, c.read().status());
        c.send("GET /_parapet/health HTTP/1.1\r\nHost: p\r\n\r\n");
        assertEquals(200, c.read().status(), "health needs no credentials");
        c.send("GET /_parapet/usage HTTP/1.1\r\nHost: p\r\nAuthorization: " + good + "\r\n\r\n");
        assertEquals(200, c.read().status(), "seven failures: under the limit, the connection still serves");
      }
      // The gateway's bearer tokens are not credentials here.
      assertRefused(fx.get("/_parapet/usage", "svc-a", TestConfigs.TOKEN_A), 401, "unauthorized");
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void repeatedLoginsAreCachedAndFailuresAreLimitedPerClient() throws Exception {
    try (TelemetryFixture fx = fixture().boot()) {
      assertEquals(200, fx.admin("/_parapet/usage").statusCode());
      double afterFirst = checks(fx);
      for (int i = 0; i < 5; i++) {
        assertEquals(200, fx.admin("/_parapet/metrics").statusCode());
      }
      assertEquals(afterFirst, checks(fx), "cached logins ran Argon2id again");

      // Another client address (the whole of 127/8 is loopback): 10 failures, then 429 at once.
      InetAddress attacker = InetAddress.getByName("127.0.0.2");
      for (int i = 0; i < 10; i++) {
        assertEquals(401, from(fx, attacker, ADMIN, "guess-" + i).status());
      }
      RawHttp.Response limited = from(fx, attacker, ADMIN, "guess-x");
      assertEquals(429, limited.status());
      assertTrue(limited.body().contains("\"too_many_requests\""), limited.body());
      assertEquals(429, from(fx, attacker, ADMIN, ADMIN_PASSWORD).status(), "even the right password");
      assertEquals(429, from(fx, attacker, "nobody", "x").status());
      // Ten Argon2id runs for ten guesses; none for the three refused by the limit.
      assertEquals(afterFirst + 10, checks(fx));
      // This client is not affected.
      assertEquals(200, fx.admin("/_parapet/usage").statusCode());
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * Guessing passwords at the surfaces shows in the scrape: their 401s, 429s and 403s are counted
   * like any refusal (route {@code -}); a surface answered 200, this scrape included, is not.
   */
  @Test
  void theSurfacesOwnRefusalsAreCountedAndTheirReadsAreNot() throws Exception {
    try (TelemetryFixture fx = fixture().boot()) {
      InetAddress attacker = InetAddress.getByName("127.0.0.3");
      for (int i = 0; i < 10; i++) {
        assertEquals(401, from(fx, attacker, ADMIN, "guess-" + i).status());
      }
      assertEquals(429, from(fx, attacker, ADMIN, "guess-x").status());
      assertEquals(429, from(fx, attacker, ADMIN, ADMIN_PASSWORD).status());
      assertRefused(fx.get("/_parapet/metrics", null, null), 401, "unauthorized");
      assertRefused(fx.get("/_parapet/events", VIEWER, VIEWER_PASSWORD), 403, "forbidden");
      for (int i = 0; i < 3; i++) {
        assertEquals(200, fx.admin("/_parapet/usage").statusCode());
      }
      PrometheusText m = PrometheusText.parse(fx.admin("/_parapet/metrics").body());
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (!m.hasSeries("parapet_refusals_total", "code", "forbidden") && System.nanoTime() < until) {
        Thread.sleep(20); // the last refusal's count lands just after its answer is written
        m = PrometheusText.parse(fx.admin("/_parapet/metrics").body());
      }
      assertEquals(11.0, m.value("parapet_refusals_total", "code", "unauthorized"), "ten guesses, one without");
      assertEquals(2.0, m.value("parapet_refusals_total", "code", "too_many_requests"));
      assertEquals(1.0, m.value("parapet_refusals_total", "code", "forbidden"));
      assertEquals(11.0, m.value("parapet_requests_total", "route", "-", "status", "401"));
      assertEquals(2.0, m.value("parapet_requests_total", "route", "-", "status", "429"));
      assertEquals(1.0, m.value("parapet_requests_total", "route", "-", "status", "403"));
      assertFalse(m.hasSeries("parapet_requests_total", "status", "200"), "reads and scrapes are not counted");
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void eventsAndMetricsMatchTheCallsMade() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      URI base = URI.create("http://127.0.0.1:" + provider.getPort() + "/v1");
      try (TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), base).boot()) {
        long tokensIn = 0;
        long tokensOut = 0;
        for (int i = 0; i < 3; i++) {
          HttpResponse<String> r = fx.call(TestConfigs.TOKEN_A, "summarizer", "count these words " + i);
          assertEquals(200, r.statusCode());
          JsonNode u = JSON.readTree(r.body()).get("usage");
          tokensIn += u.get("prompt_tokens").asLong();
          tokensOut += u.get("completion_tokens").asLong();
        }
        long costNanos = Cost.actual(TelemetryFixture.price("2", "4"), tokensIn, tokensOut);
        assertEquals(401, fx.call("bad-token-000000", "summarizer", "x").statusCode());
        assertEquals(403, fx.call(TestConfigs.TOKEN_B, "summarizer", "x").statusCode());
        provider.enqueue(new MockResponse.Builder()
            .addHeader("Content-Type", "application/json")
            .body("{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o-2024-08-06\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":2,\"total_tokens\":9}}")
            .build());
        assertEquals(200, fx.call(TestConfigs.TOKEN_A, "remote", "hi").statusCode());
        provider.enqueue(new MockResponse.Builder().code(500).body("{\"error\":\"boom\"}").build());
        assertEquals(502, fx.call(TestConfigs.TOKEN_A, "remote", "hi").statusCode());
        assertTrue(provider.takeRequest(5, TimeUnit.SECONDS) != null);
        TelemetryEndToEndTest.awaitRequests(fx, 7);

        JsonNode events = fx.adminJson("/_parapet/events").get("events");
        List<String> kinds = new ArrayList<>();
        events.forEach(e -> kinds.add(e.get("kind").asText()));
        assertEquals(List.of("upstream_error", "denied", "denied"), kinds, events.toString());
        JsonNode upstream = events.get(0);
        assertEquals("prod", upstream.get("tenant").asText());
        assertEquals("svc-a", upstream.get("service").asText());
        assertEquals("remote", upstream.get("route").asText());
        assertEquals("upstream_error", upstream.get("details").get("code").asText());
        assertTrue(upstream.get("request_id").asText().matches("[0-9a-f]{32}"));
        JsonNode forbidden = events.get(1);
        assertEquals("other", forbidden.get("tenant").asText());
        assertTrue(forbidden.get("route").isNull(), "a refused route name is the caller's, not recorded");
        JsonNode anonymous = events.get(2);
        assertEquals("-", anonymous.get("tenant").asText());
        assertTrue(anonymous.get("service").isNull());
        assertEquals(2, fx.adminJson("/_parapet/events?kind=denied").get("events").size());
        assertEquals(1, fx.adminJson("/_parapet/events?limit=1").get("events").size());
        assertEquals(0, fx.adminJson("/_parapet/events?since=2999-01-01").get("events").size());
        // an offset typed as written: a query's '+' arrives as a space, which no instant holds
        assertEquals(3, fx.adminJson("/_parapet/events?since=2000-01-01T05:00:00+01:00").get("events").size());
        assertEquals(0, fx.adminJson("/_parapet/events?since=2999-01-01T05:00:00+01:00").get("events").size());

        HttpResponse<String> scrape = fx.admin("/_parapet/metrics");
        assertEquals(200, scrape.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", scrape.headers().firstValue("content-type").orElse(""));
        PrometheusText metrics = PrometheusText.parse(scrape.body());
        assertEquals(3.0, metrics.value("parapet_requests_total", "route", "summarizer", "status", "200"));
        assertEquals(2.0, metrics.value("parapet_requests_total", "route", "-", "status", "401")
            + metrics.value("parapet_requests_total", "route", "-", "status", "403"));
        assertEquals(1.0, metrics.value("parapet_requests_total", "route", "remote", "status", "200"));
        assertEquals(1.0, metrics.value("parapet_requests_total", "route", "remote", "status", "502"));
        assertEquals(1.0, metrics.value("parapet_refusals_total", "code", "invalid_token"));
        assertEquals(1.0, metrics.value("parapet_refusals_total", "code", "route_forbidden"));
        assertEquals(1.0, metrics.value("parapet_refusals_total", "code", "upstream_error"));
        assertEquals((double) tokensIn, metrics.value("parapet_tokens_total", "route", "summarizer", "tenant", "prod", "direction", "in"));
        assertEquals((double) tokensOut, metrics.value("parapet_tokens_total", "route", "summarizer", "tenant", "prod", "direction", "out"));
        assertEquals(7.0, metrics.value("parapet_tokens_total", "route", "remote", "tenant", "prod", "direction", "in"));
        assertEquals(Cost.toUsd(costNanos).doubleValue(),
            metrics.value("parapet_cost_usd_total", "route", "summarizer", "tenant", "prod"), 1e-12);
        // Two provider calls (one answered, one failed); echo calls are not upstream latency.
        assertEquals(2.0, metrics.value("parapet_upstream_latency_seconds_count"));
        assertEquals(2.0, metrics.value("parapet_upstream_latency_seconds_bucket", "le", "+Inf"));
        assertEquals(0.0, metrics.value("parapet_stream_truncations_total", "route", "summarizer"));
        assertTrue(metrics.has("parapet_telemetry_queue_depth"));
        assertEquals(0.0, metrics.value("parapet_telemetry_shed_total"));
        assertEquals(0.0, metrics.value("parapet_policy_queue_depth"), "nothing waits for a policy thread");
        assertEquals(5.0, metrics.value("parapet_budget_remaining_usd", "scope", "route", "name", "summarizer"));
        assertEquals(10.0, metrics.value("parapet_budget_remaining_usd", "scope", "tenant", "name", "prod"));
        assertFalse(metrics.hasSeries("parapet_budget_remaining_usd", "name", "other"), "uncapped tenant");
        assertTrue(metrics.has("jvm_memory_used_bytes"));
        assertTrue(metrics.has("jvm_gc_pause_seconds_count") || metrics.has("jvm_gc_memory_allocated_bytes_total"));
        assertTrue(metrics.has("jvm_threads_live_threads"));
        assertTrue(metrics.has("process_cpu_usage"));
        assertTrue(metrics.has("netty_allocator_memory_used_bytes"));
        // Bounded labels: only configured routes, "-" and "other" ever appear.
        Set<String> routes = new HashSet<>(metrics.labelValues("parapet_requests_total", "route"));
        assertTrue(Set.of("summarizer", "writer", "elsewhere", "remote", "-", "other").containsAll(routes), routes.toString());
        assertFalse(scrape.body().contains(TelemetryFixture.PROVIDER_KEY));
      }
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * An {@code upstream_error} event says why the provider call failed, in the log line's fixed word
   * (docs/telemetry.md): a refused connection and a provider's 503, over real sockets.
   */
  @Test
  void anUpstreamErrorEventNamesTheFailuresFixedReason() throws Exception {
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      URI base = URI.create("http://127.0.0.1:" + provider.getPort() + "/v1");
      URI refusing = URI.create("http://127.0.0.1:" + closed + "/v1");
      try (TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), TelemetryFixture.config(base, refusing)).boot()) {
        assertEquals(502, fx.call(TestConfigs.TOKEN_A, "writer", "hi").statusCode());
        TelemetryEndToEndTest.awaitRequests(fx, 1);
        provider.enqueue(new MockResponse.Builder().code(503).body("{\"error\":\"" + TelemetryFixture.PROVIDER_KEY
            + " overloaded\"}").build());
        assertEquals(502, fx.call(TestConfigs.TOKEN_A, "remote", "hi").statusCode());
        TelemetryEndToEndTest.awaitRequests(fx, 2);

        JsonNode events = fx.adminJson("/_parapet/events?kind=upstream_error").get("events");
        assertEquals(2, events.size(), events.toString());
        JsonNode serverError = events.get(0); // newest first
        assertEquals("remote", serverError.get("route").asText());
        assertEquals(Map.of("status", "502", "code", "upstream_error", "reason", "server_error",
            "reason_status", "503"), details(serverError));
        JsonNode refused = events.get(1);
        assertEquals("writer", refused.get("route").asText());
        assertEquals(Map.of("status", "502", "code", "upstream_error", "reason", "connection_refused"),
            details(refused));
        assertFalse(events.toString().contains(TelemetryFixture.PROVIDER_KEY), events.toString());
      }
    }
    LeakWatch.assertNoLeaks();
  }

  private static Map<String, String> details(JsonNode event) {
    Map<String, String> out = new java.util.HashMap<>();
    event.get("details").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }

  private static double checks(TelemetryFixture fx) throws Exception {
    HttpResponse<String> r = fx.admin("/_parapet/metrics");
    assertEquals(200, r.statusCode());
    return PrometheusText.parse(r.body()).value("parapet_admin_password_checks_total");
  }

  private static Socket connectFrom(TelemetryFixture fx, InetAddress local) throws Exception {
    Socket s = new Socket();
    s.bind(new InetSocketAddress(local, 0));
    s.connect(new InetSocketAddress("127.0.0.1", fx.port()), 5000);
    s.setSoTimeout(5000);
    return s;
  }

  private static RawHttp.Response from(TelemetryFixture fx, InetAddress local, String user, String password)
      throws Exception {
    try (RawHttp c = new RawHttp(connectFrom(fx, local))) {
      c.send("GET /_parapet/usage HTTP/1.1\r\nHost: p\r\nAuthorization: " + TelemetryFixture.basic(user, password)
          + "\r\n\r\n");
      return c.read();
    }
  }

  private static void assertRefused(HttpResponse<String> r, int status, String code) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals(code, JSON.readTree(r.body()).get("error").get("code").asText(), r.body());
  }
}
