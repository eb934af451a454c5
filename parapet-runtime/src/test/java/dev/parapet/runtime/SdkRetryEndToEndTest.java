package dev.parapet.runtime;

import static dev.parapet.runtime.AnswerPolicyEndToEndTest.json;
import static dev.parapet.runtime.AnswerPolicyEndToEndTest.sse;
import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the OpenAI SDKs' automatic retries (two by default, on every 408, 409, 429 and 5xx unless
 * the answer says {@code x-should-retry: false}) make of Parapet's refusals, over real sockets on
 * {@code /v1/chat/completions}. Driven with the official Node SDK, a {@code model_drift} 502 was
 * retried twice: three billed provider answers, each refused for the same pinned model, and about
 * 1.5 s of backoff, for one call. A drift refusal now says not to retry it; an {@code
 * upstream_error} (the provider answered 5xx, which it did not bill) stays retryable, as the SDK
 * would retry the provider's own 5xx.
 */
class SdkRetryEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String OTHER = "gpt-4o-2024-11-20";

  @TempDir Path tmp;

  private static String ask(boolean stream) {
    return "{\"model\":\"strict\",\"stream\":" + stream + ",\"max_tokens\":5,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  private static void assertRefused(HttpResponse<String> r, String code) throws Exception {
    assertEquals(502, r.statusCode(), r.body());
    assertEquals(code, JSON.readTree(r.body()).path("error").path("code").asText(), r.body());
  }

  @Test
  void aDriftRefusalTellsTheSdkNotToRetryAndAnUpstreamErrorDoesNot() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      Route strict = SealedGateway.openAi("strict", provider.url("/v1").uri(),
          SealedGateway.policy(6000, 50, "5", true, RedactionPolicy.OFF), List.of());
      try (Gateway g = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(strict)).start()) {
        provider.enqueue(json(OTHER, "drifted", "fp_1"));
        HttpResponse<String> whole = post(g.port(), "/v1/chat/completions", ask(false));
        assertRefused(whole, "model_drift");
        assertEquals(Optional.of("false"), whole.headers().firstValue("x-should-retry"), "whole");

        provider.enqueue(sse(OTHER, List.of("a", "b")));
        HttpResponse<String> streamed = post(g.port(), "/v1/chat/completions", ask(true));
        assertRefused(streamed, "model_drift");
        assertEquals(Optional.of("false"), streamed.headers().firstValue("x-should-retry"), "streamed");

        provider.enqueue(new MockResponse.Builder().code(500).addHeader("Content-Type", "application/json")
            .body("{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}").build());
        HttpResponse<String> failed = post(g.port(), "/v1/chat/completions", ask(false));
        assertRefused(failed, "upstream_error");
        assertTrue(failed.headers().firstValue("x-should-retry").isEmpty(), "an upstream 5xx stays retryable");
        assertEquals(3, provider.getRequestCount());
      }
    }
    LeakWatch.assertNoLeaks();
  }
}
