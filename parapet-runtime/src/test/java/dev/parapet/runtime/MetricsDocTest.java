package dev.parapet.runtime;

import static dev.parapet.runtime.testing.GatewayFixture.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.testing.TestConfigs;
import dev.parapet.runtime.upstream.FakeProvider;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every series family a scrape of {@code /_parapet/metrics} exposes (with the viewer's credentials,
 * after a provider call) is named in docs/telemetry.md, the JVM's and the process's by their
 * prefixes: an operator must not meet a series the docs do not explain (Micrometer's timer adds a
 * {@code _max} gauge beside the histogram it was asked for, which the docs once left out).
 */
class MetricsDocTest {
  private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  @TempDir Path tmp;

  @Test
  void everyExposedSeriesFamilyIsDocumented() throws Exception {
    String doc = Files.readString(Path.of("..", "docs", "telemetry.md"));
    LeakWatch.start();
    try (FakeProvider provider = new FakeProvider((r, c) -> c.full(200, "application/json",
            SealedGateway.completion(SealedGateway.MODEL, "ok", 5, 1)));
        TelemetryFixture fx = new TelemetryFixture(tmp.resolve("data"), provider.baseUrl("http", "127.0.0.1")).boot()) {
      try (RawHttp c = fx.gatewayRaw()) {
        c.send(post("/routes/remote", TestConfigs.TOKEN_A, CHAT));
        assertEquals(200, c.read().status());
      }
      HttpResponse<String> scrape = fx.get("/_parapet/metrics", TelemetryFixture.VIEWER, TelemetryFixture.VIEWER_PASSWORD);
      assertEquals(200, scrape.statusCode());
      List<String> families = new ArrayList<>();
      List<String> undocumented = new ArrayList<>();
      for (String line : scrape.body().split("\n")) {
        if (!line.startsWith("# TYPE ")) {
          continue;
        }
        String family = line.split(" ")[2];
        families.add(family);
        boolean byPrefix = family.startsWith("jvm_") || family.startsWith("process_") || family.startsWith("system_");
        if (!(byPrefix || doc.contains("`" + family + "`") || doc.contains("`" + family + "{"))) {
          undocumented.add(family);
        }
      }
      assertTrue(families.contains("parapet_upstream_latency_seconds") && families.size() > 20, families.toString());
      assertEquals(List.of(), undocumented, "exposed, not in docs/telemetry.md");
    }
    LeakWatch.assertNoLeaks();
  }
}
