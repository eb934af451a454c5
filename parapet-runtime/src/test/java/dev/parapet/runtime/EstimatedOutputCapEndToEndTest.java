package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.tokens.TokenCounter;
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
 * On anthropic and local routes output is counted with an estimate made to over-count (cl100k ×
 * 5/4). The stream guard cut when that estimate passed max_tokens_out, so an honest provider's
 * answer near the cap it was sent could be cut with stream_truncated though it never passed it.
 * There the guard now cuts only past twice the cap: a provider ignoring the cap is still stopped.
 */
class EstimatedOutputCapEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MODEL = "llama3.1:8b";
  private static final int CAP = 100;

  @TempDir Path tmp;

  private static Route local(URI base) {
    return new Route("local", "prod", new ProviderSpec(ProviderType.LOCAL, MODEL, Optional.of("OPENAI_KEY"),
        Optional.of(base), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
        SealedGateway.policy(6000, CAP, "5", false, RedactionPolicy.OFF));
  }

  /** Words whose estimated count is at least {@code estimated}. */
  private static String wordsEstimatedAt(int estimated) {
    TokenCounter counter = TokenCounter.forModel(ProviderType.LOCAL, MODEL);
    StringBuilder text = new StringBuilder();
    for (int i = 0; counter.count(text.toString()) < estimated; i++) {
      text.append(" step").append(i);
    }
    return text.toString();
  }

  /** {@code text} streamed a few words a chunk, then usage of {@code completion} tokens and [DONE]. */
  private static MockResponse stream(String text, int completion) throws Exception {
    StringBuilder body = new StringBuilder();
    String[] words = text.split("(?= )");
    for (int i = 0; i < words.length; i += 4) {
      String piece = String.join("", List.of(words).subList(i, Math.min(words.length, i + 4)));
      body.append("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"").append(MODEL)
          .append("\",\"choices\":[{\"index\":0,\"delta\":{\"content\":").append(JSON.writeValueAsString(piece))
          .append("},\"finish_reason\":null}]}\n\n");
    }
    body.append("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"").append(MODEL)
        .append("\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n");
    body.append("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"").append(MODEL)
        .append("\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":").append(completion)
        .append(",\"total_tokens\":").append(9 + completion).append("}}\n\n");
    body.append("data: [DONE]\n\n");
    return new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").chunkedBody(body.toString(), 64).build();
  }

  private static final String ASK = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"count on\"}]}";

  @Test
  void anAnswerTheProviderKeptWithinTheCapIsNotCutByTheEstimate() throws Exception {
    // estimated at 1.5 times the cap: a tokenizer less thrifty than cl100k's estimate says 100
    String withinCap = wordsEstimatedAt(CAP * 3 / 2);
    String pastTwice = wordsEstimatedAt(CAP * 2 + 40);
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(stream(withinCap, CAP));
      provider.enqueue(stream(pastTwice, CAP * 2));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(local(provider.url("/v1").uri())));
      try (Gateway g = sg.start()) {
        HttpResponse<String> kept = post(g.port(), "/routes/local", ASK);
        assertEquals(200, kept.statusCode());
        assertFalse(kept.body().contains("stream_truncated"), kept.body());
        assertTrue(kept.body().endsWith("data: [DONE]\n\n"), kept.body());
        assertTrue(kept.body().contains("step0"), kept.body());

        HttpResponse<String> ignored = post(g.port(), "/routes/local", ASK);
        assertTrue(ignored.body().contains("\"code\":\"stream_truncated\""), "a provider past twice the cap is cut");
        assertTrue(ignored.body().contains("more than 2 times the cap"), ignored.body());
      }
    }
    LeakWatch.assertNoLeaks();
  }
}
