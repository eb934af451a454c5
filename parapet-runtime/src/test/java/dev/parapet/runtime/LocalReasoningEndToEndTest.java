package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenAI-compatible servers running a reasoning model (vLLM, Ollama, llama.cpp, DeepSeek's API)
 * send its thinking to the caller beside the answer: {@code reasoning_content} or {@code
 * reasoning}, in each delta or in the whole message. The guard read only content, refusals and
 * tool-call arguments, so on a route that scans answers a secret in the reasoning reached the
 * caller unscanned. Now the reasoning is scanned and counted like the answer.
 */
class LocalReasoningEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MODEL = "deepseek-r1:14b";

  @TempDir Path tmp;

  private static Route local(String name, URI base, RedactionMode mode) {
    return new Route(name, "prod", new ProviderSpec(ProviderType.LOCAL, MODEL, Optional.of("OPENAI_KEY"),
        Optional.of(base), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
        SealedGateway.policy(6000, 500, "5", false, new RedactionPolicy(mode, List.of(RedactionPattern.EMAIL), true)));
  }

  private static String chunk(String delta) {
    return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + MODEL
        + "\",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":null}]}\n\n";
  }

  @Test
  void reasoningIsScannedInStreamsAndWholeAnswers() throws Exception {
    String stream = chunk("{\"role\":\"assistant\",\"content\":\"\"}")
        + chunk("{\"reasoning_content\":\"The user's manager is \"}")
        + chunk("{\"reasoning_content\":\"erin@example.com, so\"}")
        + chunk("{\"content\":\"Ask your manager.\"}")
        + "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + MODEL
        + "\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    String whole = "{\"id\":\"c2\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"" + MODEL + "\","
        + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"reasoning\":\"Mail frank@example.com first.\","
        + "\"content\":\"Ask your manager.\"},\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21}}";
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").chunkedBody(stream, 48).build());
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json").body(whole).build());
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          local("strict", provider.url("/v1").uri(), RedactionMode.BLOCK),
          local("scrubbed", provider.url("/v1").uri(), RedactionMode.WARN)));
      try (Gateway g = sg.start()) {
        HttpResponse<String> cut = post(g.port(), "/routes/strict",
            "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"who do I ask?\"}]}");
        assertEquals(200, cut.statusCode());
        assertTrue(cut.body().contains("\"code\":\"stream_truncated\""), cut.body());
        assertFalse(cut.body().contains("erin@example.com"), cut.body());

        HttpResponse<String> scrubbed = post(g.port(), "/routes/scrubbed",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"who do I ask?\"}]}");
        assertEquals(200, scrubbed.statusCode(), scrubbed.body());
        JsonNode message = JSON.readTree(scrubbed.body()).path("choices").path(0).path("message");
        assertEquals("Mail [REDACTED:EMAIL] first.", message.path("reasoning").asText(), scrubbed.body());
        assertEquals("Ask your manager.", message.path("content").asText());
      }
    }
    LeakWatch.assertNoLeaks();
  }
}
