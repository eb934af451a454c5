package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.runtime.testing.LeakWatch;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images are prompt the provider bills: a 1024×1024 image is 765 tokens on gpt-4o, up to 1,445 at
 * high detail, 1,640 on Claude. Before, none of it counted, so a caller could pass max_tokens_in and
 * the budget's worst case with images alone. Now an inline image counts by the size its header
 * gives, and a URL (never fetched) at its model's maximum.
 */
class ImagePromptEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String URL = "https://images.example.com/receipt.png";

  @TempDir Path tmp;

  private static String png(int width, int height) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB), "png", out);
    return "data:image/png;base64," + Base64.getEncoder().encodeToString(out.toByteArray());
  }

  /** "what is this?" with one image part per url, each with {@code detail} (null: none given). */
  private static String ask(String detail, String... urls) throws Exception {
    ObjectNode body = JSON.createObjectNode();
    body.put("max_tokens", 10);
    ArrayNode content = body.putArray("messages").addObject().put("role", "user").putArray("content");
    content.addObject().put("type", "text").put("text", "what is this?");
    for (String url : urls) {
      ObjectNode image = content.addObject().put("type", "image_url").putObject("image_url").put("url", url);
      if (detail != null) {
        image.put("detail", detail);
      }
    }
    return JSON.writeValueAsString(body);
  }

  private static JsonNode error(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body()).path("error");
  }

  @Test
  void imagesCountAgainstMaxTokensInAndTheBudget() throws Exception {
    String square = png(1024, 1024); // 765 tokens on gpt-4o at high detail
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      // $1 per 1M tokens both ways: $0.002 covers 2,000 tokens of prompt and output together
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          SealedGateway.limitedAndCheap(provider.url("/v1").uri(), 1000, 100_000, "0.002"));
      try (Gateway g = sg.start()) {
        provider.enqueue(AnswerPolicyEndToEndTest.json(SealedGateway.MODEL, "a square", "fp_1"));
        HttpResponse<String> one = post(g.port(), "/routes/limited", ask(null, square));
        assertEquals(200, one.statusCode(), "765 tokens of image and a short text fit 1,000: " + one.body());
        JsonNode sent = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
        assertEquals(square, sent.path("messages").path(0).path("content").path(1).path("image_url").path("url").asText(),
            "the image is forwarded byte for byte");

        HttpResponse<String> two = post(g.port(), "/routes/limited", ask(null, square, square));
        assertEquals(400, two.statusCode(), two.body());
        assertEquals("max_tokens_in_exceeded", error(two).path("code").asText());
        String message = error(two).path("message").asText();
        assertTrue(message.matches("the prompt is 15\\d\\d tokens, 1530 of them for 2 images; .*"), message);

        // a URL is never fetched: it counts at gpt-4o's maximum, 1,445 at high detail
        HttpResponse<String> remote = post(g.port(), "/routes/limited", ask("auto", URL));
        assertEquals(400, remote.statusCode(), remote.body());
        assertTrue(error(remote).path("message").asText().contains("1445 of them for 1 image;"), remote.body());
        // ... and 85 at low detail, at any size
        provider.enqueue(AnswerPolicyEndToEndTest.json(SealedGateway.MODEL, "a receipt", "fp_1"));
        assertEquals(200, post(g.port(), "/routes/limited", ask("low", URL, URL, URL)).statusCode());

        // the hold prices the images: one URL image (1,445) fits $0.002 with its text and output, two do not
        provider.enqueue(AnswerPolicyEndToEndTest.json(SealedGateway.MODEL, "a receipt", "fp_1"));
        assertEquals(200, post(g.port(), "/routes/cheap", ask(null, URL)).statusCode());
        HttpResponse<String> costly = post(g.port(), "/routes/cheap", ask(null, URL, URL));
        assertEquals(402, costly.statusCode(), costly.body());
        assertEquals("budget_exceeded", error(costly).path("code").asText());

        assertEquals(3, provider.getRequestCount(), "nothing was sent for the refused calls");
      }
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void anAnthropicRoutesImagesCountByArea() throws Exception {
    String model = "claude-sonnet-4-20250514";
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      Route claude = new Route("claude", "prod", new ProviderSpec(ProviderType.ANTHROPIC, model,
          Optional.of("OPENAI_KEY"), Optional.of(provider.url("/v1").uri()), List.of(),
          Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
          SealedGateway.policy(1000, 10, "5", true, RedactionPolicy.OFF));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(claude));
      try (Gateway g = sg.start()) {
        // 1,640 for a URL, whatever the detail: Anthropic has none
        HttpResponse<String> remote = post(g.port(), "/routes/claude", ask("low", URL));
        assertEquals(400, remote.statusCode(), remote.body());
        assertTrue(error(remote).path("message").asText().contains("1640 of them for 1 image;"), remote.body());

        // 700x700 is 654 tokens: one fits 1,000, two do not
        String image = png(700, 700);
        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json").body(
            "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + model + "\","
                + "\"content\":[{\"type\":\"text\",\"text\":\"a grey square\"}],\"stop_reason\":\"end_turn\","
                + "\"usage\":{\"input_tokens\":495,\"output_tokens\":4}}").build());
        HttpResponse<String> one = post(g.port(), "/routes/claude", ask(null, image));
        assertEquals(200, one.statusCode(), one.body());
        HttpResponse<String> two = post(g.port(), "/routes/claude", ask(null, image, image));
        assertEquals(400, two.statusCode(), two.body());
        assertTrue(error(two).path("message").asText().contains("1308 of them for 2 images;"), two.body());
        assertEquals(1, provider.getRequestCount(), "nothing was sent for the refused calls");
      }
    }
    LeakWatch.assertNoLeaks();
  }
}
