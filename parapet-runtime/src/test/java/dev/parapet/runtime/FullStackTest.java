package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.Pricing;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.config.Tenant;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.MasterKey;
import dev.parapet.core.seal.Sealer;
import dev.parapet.core.seal.SecretValue;
import dev.parapet.runtime.boot.Boot;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.TestConfigs;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production wiring end to end: sealed blob in, the real upstream stage behind the front,
 * an OpenAI-compatible fake provider that records what it received.
 */
class FullStackTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROVIDER_KEY = "sk-test-provider-key-31337";
  @TempDir Path tmp;

  private static HydratedConfig config(URI providerBase) {
    Policy policy = new Policy(6000, 100, new BigDecimal("5"), true, RedactionPolicy.OFF);
    Route echo = TestConfigs.route("summarizer", "prod", "echo-2024-01-01");
    Route remote = new Route("remote", "prod", new ProviderSpec(ProviderType.OPENAI, "gpt-4o-2024-08-06",
        Optional.of("OPENAI_KEY"), Optional.of(providerBase), List.of(),
        Optional.of(new Pricing(BigDecimal.ONE, BigDecimal.ONE)), 5_000), policy);
    ParapetSpec spec = new ParapetSpec(1, List.of(new Tenant("prod", Optional.empty(), Optional.empty())),
        List.of(echo, remote),
        List.of(new Service("svc-a", "prod", List.of("summarizer", "remote"), "SVC_A_TOKEN")), List.of());
    return new HydratedConfig(spec, Map.of("OPENAI_KEY", SecretValue.of(PROVIDER_KEY)),
        Map.of("svc-a", TestConfigs.digest(TestConfigs.TOKEN_A)), Map.of());
  }

  private static HttpResponse<String> post(int port, String path, String body) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Authorization", "Bearer " + TestConfigs.TOKEN_A)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void echoAndAProxiedCallThroughTheProductionPipeline() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      URI base = URI.create("http://127.0.0.1:" + provider.getPort() + "/v1");
      MasterKey key = MasterKey.generate(new SecureRandom());
      Map<String, String> env = new HashMap<>();
      env.put("PARAPET_BOOTSTRAP_STATE", Sealer.seal(config(base), key, new SecureRandom()));
      env.put("PARAPET_MASTER_KEY", key.toBase64());
      env.put("PARAPET_BIND", "127.0.0.1");
      env.put("PARAPET_PORT", "0");
      env.put("PARAPET_DATA_DIR", tmp.resolve("data").toString());
      try (Gateway g = Boot.start(env, Wiring.production(env))) {
        int port = g.port();
        HttpResponse<String> echo = post(port, "/v1/chat/completions",
            "{\"model\":\"summarizer\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}");
        assertEquals(200, echo.statusCode(), echo.body());
        assertNotNull(JSON.readTree(echo.body()).get("choices"));
        assertTrue(echo.headers().firstValue("x-parapet-request-id").isPresent());

        HttpResponse<String> stream = post(port, "/routes/summarizer",
            "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(200, stream.statusCode());
        assertTrue(stream.body().endsWith("data: [DONE]\n\n"), stream.body());

        provider.enqueue(new MockResponse.Builder()
            .addHeader("Content-Type", "application/json")
            .body("{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o-2024-08-06\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}")
            .build());
        HttpResponse<String> remote = post(port, "/routes/remote",
            "{\"max_tokens\":100000,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(200, remote.statusCode(), remote.body());
        assertFalse(remote.body().contains(PROVIDER_KEY));
        RecordedRequest sent = provider.takeRequest(5, TimeUnit.SECONDS);
        assertEquals("Bearer " + PROVIDER_KEY, sent.getHeaders().get("Authorization"));
        JsonNode body = JSON.readTree(sent.getBody().utf8());
        assertEquals("gpt-4o-2024-08-06", body.get("model").asText());
        assertEquals(100, body.get("max_completion_tokens").asInt(), "capped, as OpenAI's reasoning models need it");
        assertFalse(body.has("max_tokens"), body.toString());
        assertFalse(sent.getHeaders().toString().contains(TestConfigs.TOKEN_A), "caller token forwarded");
      }
    }
    LeakWatch.assertNoLeaks();
  }
}
