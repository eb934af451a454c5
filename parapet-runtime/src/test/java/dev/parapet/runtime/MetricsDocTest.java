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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every series family a scrape of {@code /_parapet/metrics} exposes (with the viewer's credentials,
 * after a provider call) is named in docs/telemetry.md, the JVM's and the process's by their
 * prefixes: an operator must not meet a series the docs do not explain (Micrometer's timer adds a
 * {@code _max} gauge beside the histogram it was asked for, which the docs once left out); every
 * label of a Parapet series is named in its family's row; and every Parapet family the docs name
 * is exposed (a metric renamed or dropped must not leave its old name in the docs).
 */
class MetricsDocTest {
  /** A Parapet family named in the metric table: in backticks, before any label braces. */
  private static final Pattern FAMILY = Pattern.compile("`(parapet_[a-z_]+)[`{]");
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
      try (RawHttp c = fx.gatewayRaw()) { // a refusal: its counter is made by the first one
        c.send(post("/routes/remote", "not-a-token-of-this-gateway", CHAT));
        assertEquals(401, c.read().status());
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

      Map<String, String> rows = metricRows(doc);
      List<String> unexposed = rows.keySet().stream().filter(f -> !families.contains(f)).toList();
      assertEquals(List.of(), unexposed, "in docs/telemetry.md's metric table, not exposed");
      Set<String> unlabelled = new TreeSet<>();
      for (PrometheusText.Sample s : PrometheusText.parse(scrape.body()).samples()) {
        String family = familyOf(s.name(), families);
        if (!family.startsWith("parapet_")) {
          continue;
        }
        String labelsCell = rows.getOrDefault(family, "");
        for (String label : s.labels().keySet()) {
          if (!label.equals("le") && !labelsCell.contains("`" + label + "`")) {
            unlabelled.add(family + "{" + label + "}");
          }
        }
      }
      assertEquals(Set.of(), unlabelled, "label not named in its row of docs/telemetry.md's metric table");
    }
    LeakWatch.assertNoLeaks();
  }

  /** The metric table's Parapet families, each with its labels cell (the row's last). */
  private static Map<String, String> metricRows(String doc) {
    Map<String, String> rows = new HashMap<>();
    boolean inTable = false;
    for (String line : doc.split("\n")) {
      if (line.startsWith("| metric | labels |")) {
        inTable = true;
      } else if (inTable && !line.startsWith("|")) {
        break;
      } else if (inTable && line.startsWith("| `")) {
        int last = line.lastIndexOf(" | ");
        String names = line.substring(0, last);
        String labels = line.substring(last + 3);
        Matcher m = FAMILY.matcher(names);
        while (m.find()) {
          rows.merge(m.group(1), labels, (a, b) -> a);
        }
      }
    }
    assertTrue(rows.size() > 15, rows.keySet().toString());
    return rows;
  }

  /** The family a sample belongs to: itself, or a histogram's _bucket, _count or _sum. */
  private static String familyOf(String sample, List<String> families) {
    for (String suffix : new String[] {"", "_bucket", "_count", "_sum"}) {
      if (sample.endsWith(suffix) && families.contains(sample.substring(0, sample.length() - suffix.length()))) {
        return sample.substring(0, sample.length() - suffix.length());
      }
    }
    return sample;
  }
}
