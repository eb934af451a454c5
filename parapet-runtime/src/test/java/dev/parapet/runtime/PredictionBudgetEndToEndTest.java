package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenAI bills the tokens of a Predicted Outputs {@code prediction} that the answer does not use as
 * output ({@code rejected_prediction_tokens}), beyond {@code max_tokens}, and never sends them. The
 * hold priced only {@code max_tokens}, so a caller could pass the cap by the length of its
 * predictions; and a stream cut before its usage was charged what was seen, none of the rejected
 * tokens. Now the prediction is in the worst case, and such a cut stream is charged it.
 */
class PredictionBudgetEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  /** A short ask with max_tokens 10 and {@code prediction} as Predicted Outputs' content. */
  private static String ask(String prediction, boolean stream) throws Exception {
    ObjectNode body = JSON.createObjectNode();
    body.put("max_tokens", 10).put("stream", stream);
    body.putArray("messages").addObject().put("role", "user").put("content", "rename x to y");
    body.putObject("prediction").put("type", "content").put("content", prediction);
    return JSON.writeValueAsString(body);
  }

  @Test
  void aPredictionIsPricedInTheHold() throws Exception {
    // "word0 word1 ..." runs about 2 tokens a word: 1,000 words are ~2,000 tokens, 100 are ~200
    String longPrediction = SealedGateway.words(7_000);
    String shortPrediction = SealedGateway.words(600);
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      // $1 per 1M tokens both ways: $0.001 covers 1,000 tokens of prompt, output and prediction
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("edits", provider.url("/v1").uri(),
              SealedGateway.policy(6000, 10, "0.001", true, RedactionPolicy.OFF), List.of())));
      try (Gateway g = sg.start()) {
        HttpResponse<String> costly = post(g.port(), "/routes/edits", ask(longPrediction, false));
        assertEquals(402, costly.statusCode(), costly.body());
        assertEquals("budget_exceeded", JSON.readTree(costly.body()).path("error").path("code").asText());
        assertEquals(0, provider.getRequestCount(), "nothing was sent for the refused call");

        provider.enqueue(AnswerPolicyEndToEndTest.json(SealedGateway.MODEL, "y = 1", "fp_1"));
        HttpResponse<String> fits = post(g.port(), "/routes/edits", ask(shortPrediction, false));
        assertEquals(200, fits.statusCode(), fits.body());
        JsonNode sent = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
        assertEquals(shortPrediction, sent.path("prediction").path("content").asText(), "the prediction goes up as given");
      }
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void aCutStreamWithAPredictionIsChargedItsWorstCase() throws Exception {
    String model = SealedGateway.MODEL;
    String body = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + model
        + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"mail dave@example.com\"},\"finish_reason\":null}]}\n\n";
    RedactionPolicy scan = new RedactionPolicy(RedactionMode.BLOCK, List.of(RedactionPattern.EMAIL), true);
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").body(body).build());
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").body(body).build());
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("predicted", provider.url("/v1").uri(), SealedGateway.policy(6000, 10, "5", true, scan), List.of()),
          SealedGateway.openAi("plain", provider.url("/v1").uri(), SealedGateway.policy(6000, 10, "5", true, scan), List.of())));
      String prediction = SealedGateway.words(3_000);
      try (Gateway g = sg.start()) {
        HttpResponse<String> predicted = post(g.port(), "/routes/predicted", ask(prediction, true));
        assertTrue(predicted.body().contains("\"code\":\"stream_truncated\""), predicted.body());
        HttpResponse<String> plain = post(g.port(), "/routes/plain",
            "{\"max_tokens\":10,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"rename x to y\"}]}");
        assertTrue(plain.body().contains("\"code\":\"stream_truncated\""), plain.body());
      }
      var spend = sg.withStore(s -> {});
      // 1,000 nano-USD a token: the worst case holds the prediction's ~800 tokens
      long withPrediction = SealedGateway.route(spend, "predicted");
      assertTrue(withPrediction > 500_000L, "the prediction's rejected tokens are unseen: worst case, " + withPrediction);
      long without = SealedGateway.route(spend, "plain");
      assertTrue(without > 0 && without < 50_000L, "without a prediction: what was seen, " + without);
    }
    LeakWatch.assertNoLeaks();
  }
}
