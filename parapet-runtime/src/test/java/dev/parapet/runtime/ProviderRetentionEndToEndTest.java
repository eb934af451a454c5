package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenAI keeps a call whose body says {@code store: true} as a stored completion, listed in the
 * dashboard to the whole organisation; an openai route forwarded it, so any service could have the
 * provider keep its prompts and answers through a gateway that promises to keep none. It is refused
 * now on every route, as is {@code prompt_cache_retention: "24h"} (the prompt's cached state kept in
 * the provider's storage); {@code store: false} still goes up to OpenAI, and {@code metadata} (the
 * stored completion's tags, which OpenAI refuses without {@code store}) is dropped.
 */
class ProviderRetentionEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HI = "\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

  @TempDir Path tmp;

  @Test
  void retentionIsRefusedOnEveryRouteAndStoreFalsePasses() throws Exception {
    // {field as sent, the start of the refusal's message}
    Map<String, String> refused = Map.of(
        "\"store\":true", "store: providers may not keep prompts through Parapet",
        "\"store\":\"true\"", "store: providers may not keep prompts through Parapet",
        "\"store\":1", "store: providers may not keep prompts through Parapet",
        "\"prompt_cache_retention\":\"24h\"", "prompt_cache_retention: providers may not keep prompts through Parapet",
        "\"prompt_cache_retention\":\"sk-proj-RETENTION0123456789\"", "prompt_cache_retention: providers may not");
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      RedactionPolicy off = RedactionPolicy.OFF;
      Route claude = new Route("claude", "prod", new ProviderSpec(ProviderType.ANTHROPIC, "claude-sonnet-4-20250514",
          Optional.of("OPENAI_KEY"), Optional.of(provider.url("/v1").uri()), List.of(),
          Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000), SealedGateway.policy(6000, 50, "5", true, off));
      Route local = new Route("lan", "prod", new ProviderSpec(ProviderType.LOCAL, LocalServerCalls.MODEL,
          Optional.of("OPENAI_KEY"), Optional.of(provider.url("/v1").uri()), List.of(),
          Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000), SealedGateway.policy(6000, 50, "5", false, off));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("open", provider.url("/v1").uri(), SealedGateway.policy(6000, 50, "5", true, off),
              List.of()), claude, local));
      try (Gateway g = sg.start()) {
        for (String route : List.of("open", "claude", "lan")) {
          for (Map.Entry<String, String> c : refused.entrySet()) {
            HttpResponse<String> r = post(g.port(), "/routes/" + route, "{" + c.getKey() + "," + HI + "}");
            assertEquals(400, r.statusCode(), route + " " + c.getKey() + ": " + r.body());
            JsonNode error = JSON.readTree(r.body()).path("error");
            assertEquals("invalid_request", error.path("code").asText(), r.body());
            assertTrue(error.path("message").asText().startsWith(c.getValue()), route + ": " + r.body());
            assertFalse(r.body().contains("RETENTION0123"), "the value is not echoed: " + r.body());
          }
        }
        // the drop-in endpoint too
        HttpResponse<String> dropIn = post(g.port(), "/v1/chat/completions", "{\"model\":\"open\",\"store\":true," + HI + "}");
        assertEquals(400, dropIn.statusCode(), dropIn.body());
        assertEquals(0, provider.getRequestCount(), "nothing was sent for the refused calls");

        // store: false goes up to OpenAI as given, metadata does not; in-memory caching is OpenAI's default
        provider.enqueue(AnswerPolicyEndToEndTest.json(SealedGateway.MODEL, "hello", "fp_1"));
        HttpResponse<String> ok = post(g.port(), "/routes/open", "{\"store\":false,\"metadata\":{\"team\":\"search\"},"
            + "\"prompt_cache_retention\":\"in_memory\"," + HI + "}");
        assertEquals(200, ok.statusCode(), ok.body());
        JsonNode sent = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
        assertEquals(false, sent.path("store").asBoolean(true), sent.toString());
        assertTrue(sent.path("store").isBoolean(), sent.toString());
        assertFalse(sent.has("metadata"), sent.toString());
        assertEquals("in_memory", sent.path("prompt_cache_retention").asText(), sent.toString());

        // null means unset: not sent
        provider.enqueue(AnswerPolicyEndToEndTest.json(SealedGateway.MODEL, "hello", "fp_1"));
        assertEquals(200, post(g.port(), "/routes/open", "{\"store\":null,\"metadata\":null," + HI + "}").statusCode());
        sent = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
        assertFalse(sent.has("store") || sent.has("metadata"), sent.toString());

        // a local server stores nothing: store: false and metadata are dropped, not refused as off its list
        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json")
            .body(SealedGateway.completion(LocalServerCalls.MODEL, "ok", 20, 1)).build());
        HttpResponse<String> lan = post(g.port(), "/routes/lan", "{\"store\":false,\"metadata\":{\"a\":\"b\"}," + HI + "}");
        assertEquals(200, lan.statusCode(), lan.body());
        sent = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
        assertFalse(sent.has("store") || sent.has("metadata"), sent.toString());
      }
    }
    LeakWatch.assertNoLeaks();
  }
}
