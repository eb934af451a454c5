package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.seal.KeyPurpose;
import dev.parapet.core.seal.MasterKey;
import dev.parapet.core.store.GroupBy;
import dev.parapet.core.store.StoreOptions;
import dev.parapet.core.store.TelemetryStore;
import dev.parapet.core.store.UsageRow;
import dev.parapet.runtime.testing.AllLogs;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.upstream.ConnectProxy;
import dev.parapet.runtime.upstream.FakeProvider;
import dev.parapet.runtime.upstream.TestTls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PARAPET_UPSTREAM_PROXY through the production pipeline (sealed blob, Boot, telemetry store), on
 * one event loop with one connection per origin, so a pool slot a failed tunnel kept would refuse
 * the next call: a proxy that refuses (407), resets or hangs is 502 {@code upstream_error} and
 * charges nothing; a tunnel that opens carries calls settled as usual, the second on the same
 * tunnel; the boot log names the origins it carries; the proxy's password is in no response, no
 * log line and no byte of the data directory.
 */
class EgressProxyEndToEndTest {
  private static final String PASSWORD = "CANARY-proxy-password-8d1e";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ANSWER = SealedGateway.completion(SealedGateway.MODEL, "ok", 7, 1);

  @TempDir Path tmp;

  @Test
  void failedTunnelsAre502UnchargedAndATunnelCarriesCallsSettledAsUsual() throws Exception {
    LeakWatch.start();
    Path data = tmp.resolve("data");
    List<String> responses = new ArrayList<>();
    List<String> logLines;
    String masterKey;
    try (AllLogs logs = AllLogs.capture();
        ConnectProxy proxy = new ConnectProxy(ConnectProxy.Mode.REFUSE_407);
        FakeProvider provider = new FakeProvider(TestTls.server("other"),
            (r, c) -> c.full(200, "application/json", ANSWER))) {
      URI via = URI.create("https://other.example:" + provider.port() + "/v1");
      try (ProductionStack stack = ProductionStack.builder(data)
          .route("via", ProviderType.OPENAI, via, "sk-egress-openai-000000000000", 1_000)
          .route("local", ProviderType.OPENAI, URI.create("http://127.0.0.1:9/v1"), "sk-egress-local-0000000000000", 1_000)
          .env("PARAPET_WORKER_THREADS", "1")
          .env("PARAPET_UPSTREAM_MAX_PER_ORIGIN", "1")
          .env("PARAPET_UPSTREAM_CA_FILE", TestTls.caFile().toString())
          .env("PARAPET_UPSTREAM_PROXY", "http://ops:" + PASSWORD + "@127.0.0.1:" + proxy.port())
          .start()) {
        masterKey = stack.masterKeyBase64;
        for (ConnectProxy.Mode mode : List.of(ConnectProxy.Mode.REFUSE_407, ConnectProxy.Mode.RESET, ConnectProxy.Mode.HANG)) {
          proxy.mode(mode);
          HttpResponse<String> res = post(stack, responses);
          assertEquals(502, res.statusCode(), mode + ": " + res.body());
          assertEquals("upstream_error", JSON.readTree(res.body()).at("/error/code").asText());
          assertFalse(res.body().contains(ConnectProxy.MARKER), res.body());
        }
        proxy.mode(ConnectProxy.Mode.TUNNEL);
        for (int i = 0; i < 2; i++) {
          HttpResponse<String> res = post(stack, responses);
          assertEquals(200, res.statusCode(), res.body());
        }
        assertEquals(4, proxy.connections.get(), "three refused tunnels, then one for both calls");
        assertEquals(1, provider.connections.get());
        assertEquals(2, provider.received.size());
      }
      logLines = logs.lines();
      assertTrue(logs.messages().contains("egress proxy http://127.0.0.1:" + proxy.port()
              + " (basic auth): through it https://other.example:" + provider.port() + "; direct http://127.0.0.1:9"),
          String.join("\n", logs.messages()));
    }
    try (TelemetryStore store = TelemetryStore.open(data, MasterKey.fromBase64(masterKey).deriveKey(KeyPurpose.STORE),
        MasterKey.fromBase64(masterKey).deriveKey(KeyPurpose.STORE_MAC), StoreOptions.defaults())) {
      LocalDate today = LocalDate.now(ZoneOffset.UTC);
      UsageRow row = store.usage(today, today, GroupBy.ROUTE).stream().filter(r -> r.group().equals("via"))
          .findFirst().orElseThrow();
      assertEquals(5, row.requests());
      assertEquals(2 * 7, row.tokensIn());
      assertEquals(2 * 1, row.tokensOut());
      assertEquals(2 * 8 * 1_000, row.costNanoUsd(), "only the two answered calls are charged ($1 per 1M tokens)");
    }
    List<String> leaks = new ArrayList<>();
    responses.stream().filter(r -> r.contains(PASSWORD)).forEach(r -> leaks.add("response: " + r));
    logLines.stream().filter(l -> l.contains(PASSWORD)).forEach(l -> leaks.add("log: " + l));
    try (Stream<Path> files = Files.walk(data)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        if (new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(PASSWORD)) {
          leaks.add("file: " + f.getFileName());
        }
      }
    }
    assertEquals(List.of(), leaks);
    LeakWatch.assertNoLeaks();
  }

  private static HttpResponse<String> post(ProductionStack stack, List<String> responses) throws Exception {
    HttpResponse<String> res = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + stack.port + "/routes/via"))
            .header("Authorization", "Bearer " + stack.token).header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(20))
            .POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
        HttpResponse.BodyHandlers.ofString());
    responses.add(res.statusCode() + " " + res.headers().map() + "\n" + res.body());
    return res;
  }
}
