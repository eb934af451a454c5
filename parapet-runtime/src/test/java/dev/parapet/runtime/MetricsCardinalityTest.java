package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.testing.TestConfigs;
import java.net.URI;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Caller input never mints a metric series: after a barrage of unknown routes, models, paths,
 * methods and tokens, a second barrage with other names adds no series at all, and every route
 * label is a configured route, {@code -} or {@code other}, and every origin label a configured
 * provider's.
 */
class MetricsCardinalityTest {
  @TempDir Path tmp;

  @Test
  void unknownRoutesPathsAndModelsAddNoSeries() throws Exception {
    LeakWatch.start();
    try (TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), URI.create("http://127.0.0.1:9/v1")).boot()) {
      barrage(fx, "a");
      Set<String> first = scrape(fx).series("parapet_");
      barrage(fx, "b");
      PrometheusText m = scrape(fx);
      Set<String> added = new HashSet<>(m.series("parapet_"));
      added.removeAll(first);
      assertEquals(Set.of(), added, "series minted by caller input");
      Set<String> allowed = Set.of("summarizer", "writer", "elsewhere", "remote", "-", "other");
      for (String family : List.of("parapet_requests_total", "parapet_stream_truncations_total",
          "parapet_tokens_total", "parapet_cost_usd_total")) {
        assertTrue(allowed.containsAll(m.labelValues(family, "route")), family + ": " + m.labelValues(family, "route"));
      }
      for (String family : List.of("parapet_upstream_connections_open", "parapet_upstream_connections_waiting",
          "parapet_upstream_pool_exhausted_total")) {
        assertEquals(List.of("http://127.0.0.1:9"), m.labelValues(family, "origin"), family + ": the one configured origin");
      }
    }
    LeakWatch.assertNoLeaks();
  }

  private static void barrage(TelemetryFixture fx, String tag) throws Exception {
    String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    for (int i = 0; i < 8; i++) {
      String name = tag + i;
      String[] requests = {
        GatewayFixture.post("/routes/no-such-" + name, TestConfigs.TOKEN_A, chat),
        GatewayFixture.post("/routes/elsewhere", TestConfigs.TOKEN_A, chat), // another tenant's route
        GatewayFixture.post("/v1/chat/completions", TestConfigs.TOKEN_A,
            "{\"model\":\"model-" + name + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
        GatewayFixture.post("/routes/summarizer", TestConfigs.TOKEN_A,
            "{\"model\":\"other-" + name + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
        GatewayFixture.post("/routes/" + name, "wrong-token-" + name, chat),
        GatewayFixture.get("/weird/" + name + "/%2e%2e/x?y=" + name, null),
        GatewayFixture.get("/_parapet/" + name, null),
        "PATCH /routes/summarizer HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer " + TestConfigs.TOKEN_A
            + "\r\nContent-Length: 0\r\n\r\n",
      };
      try (RawHttp c = fx.gatewayRaw()) {
        for (String r : requests) {
          int status = c.send(r).read().status();
          assertTrue(status >= 400 && status < 500, r + " -> " + status);
        }
      }
    }
  }

  private static PrometheusText scrape(TelemetryFixture fx) throws Exception {
    return PrometheusText.parse(fx.admin("/_parapet/metrics").body());
  }
}
