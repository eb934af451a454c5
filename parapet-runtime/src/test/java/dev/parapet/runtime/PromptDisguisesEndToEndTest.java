package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A secret the prompt scan read past because the body spelled it apart from how the provider reads
 * it: split over adjacent text parts (an anthropic route joins them), behind JSON escapes in a tool
 * call's arguments (an anthropic route decodes them), as a bare number, or under a field that only
 * shares its name with an image part's. Each is blocked on a {@code block} route and scrubbed on a
 * {@code warn} route; the image part's URL and the body's own numbers are still left alone.
 */
class PromptDisguisesEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CLAUDE = "claude-sonnet-4-20250514";
  private static final List<RedactionPattern> PATTERNS = List.of(RedactionPattern.EMAIL, RedactionPattern.CREDIT_CARD);

  @TempDir Path tmp;
  private MockWebServer provider;
  private Gateway gateway;

  @BeforeEach
  void start() throws Exception {
    provider = new MockWebServer();
    provider.start();
    URI base = provider.url("/v1").uri();
    gateway = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
        new Route("claude", "prod", new ProviderSpec(ProviderType.ANTHROPIC, CLAUDE, Optional.of("OPENAI_KEY"),
            Optional.of(base), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
            SealedGateway.policy(6000, 200, "5", false, new RedactionPolicy(RedactionMode.BLOCK, PATTERNS, false))),
        SealedGateway.openAi("strict", base,
            SealedGateway.policy(6000, 200, "5", false, new RedactionPolicy(RedactionMode.BLOCK, PATTERNS, false)), List.of()),
        SealedGateway.openAi("scrubbed", base,
            SealedGateway.policy(6000, 200, "5", false, new RedactionPolicy(RedactionMode.WARN, PATTERNS, false)), List.of())))
        .start();
  }

  @AfterEach
  void stop() throws Exception {
    gateway.close();
    provider.close();
    LeakWatch.assertNoLeaks();
  }

  /** Blocked, naming the pattern; nothing sent. */
  private void blocked(String route, String body, String pattern) throws Exception {
    HttpResponse<String> r = post(gateway.port(), "/routes/" + route, body);
    RecordedRequest up = provider.takeRequest(100, TimeUnit.MILLISECONDS);
    assertEquals(422, r.statusCode(), "upstream got: " + (up == null ? null : up.getBody().utf8()));
    assertTrue(r.body().contains(pattern), r.body());
  }

  /** What the provider received from the warn route, which answered 200 with the count of redactions. */
  private JsonNode scrubbed(String body, int redactions) throws Exception {
    provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json")
        .body(SealedGateway.completion(SealedGateway.MODEL, "ok", 5, 1)).build());
    HttpResponse<String> r = post(gateway.port(), "/routes/scrubbed", body);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(Optional.of(Integer.toString(redactions)), r.headers().firstValue("x-parapet-redactions"));
    RecordedRequest up = provider.takeRequest(5, TimeUnit.SECONDS);
    assertNotNull(up);
    return JSON.readTree(up.getBody().utf8());
  }

  private static String splitParts(String role) {
    return "{\"messages\":[{\"role\":\"" + role + "\",\"content\":[{\"type\":\"text\",\"text\":\"Escalate to alice@\"},"
        + "{\"type\":\"text\",\"text\":\"example.com today\"}]},{\"role\":\"user\",\"content\":\"hi\"}]}";
  }

  @Test
  void anAddressSplitOverAdjacentTextPartsIsOneText() throws Exception {
    blocked("claude", splitParts("system"), "EMAIL"); // the anthropic translation joins them
    blocked("strict", splitParts("user"), "EMAIL");
    JsonNode sent = scrubbed(splitParts("user"), 1);
    JsonNode content = sent.path("messages").path(0).path("content");
    assertEquals(1, content.size(), "the run became one part: " + content);
    assertEquals("Escalate to [REDACTED:EMAIL] today", content.path(0).path("text").asText());
    // parts that hold nothing together are sent as they came
    String apart = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a@\"},"
        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://img.example/1.png\"}},{\"type\":\"text\",\"text\":\"b\"},"
        + "{\"type\":\"text\",\"text\":\"c\"}]}]}";
    assertEquals(4, scrubbedUnchanged(apart).path("messages").path(0).path("content").size());
  }

  private JsonNode scrubbedUnchanged(String body) throws Exception {
    provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json")
        .body(SealedGateway.completion(SealedGateway.MODEL, "ok", 5, 1)).build());
    HttpResponse<String> r = post(gateway.port(), "/routes/scrubbed", body);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(Optional.empty(), r.headers().firstValue("x-parapet-redactions"));
    JsonNode sent = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
    assertEquals(JSON.readTree(body).path("messages"), sent.path("messages"));
    return sent;
  }

  private static String withArguments(String arguments) throws Exception {
    return "{\"messages\":[{\"role\":\"user\",\"content\":\"mail her\"},"
        + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
        + "\"function\":{\"name\":\"send_mail\",\"arguments\":" + JSON.writeValueAsString(arguments) + "}}]},"
        + "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"sent\"}],"
        + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"send_mail\"}}]}";
  }

  @Test
  void escapesInToolArgumentsHideNothing() throws Exception {
    String escaped = "{\"to\": \"alice\\u0040example.com\", \"cc\": \"line\\nbreak\"}"; // @ spelled \u0040
    blocked("claude", withArguments(escaped), "EMAIL"); // the anthropic translation decodes it
    blocked("strict", withArguments(escaped), "EMAIL");
    // nor behind a key given twice, which a tree reading would have kept only the last of
    blocked("strict", withArguments("{\"to\":\"alice\\u0040example.com\",\"to\":\"x\"}"), "EMAIL");
    JsonNode sent = scrubbed(withArguments(escaped), 1);
    String arguments = sent.path("messages").path(1).path("tool_calls").path(0).path("function").path("arguments").asText();
    assertEquals("{\"to\":\"[REDACTED:EMAIL]\",\"cc\":\"line\\nbreak\"}", arguments, "still JSON, plainly written");
    // arguments without a match go as the caller wrote them, escapes and spaces included
    scrubbedUnchanged(withArguments("{\"q\": \"caf\\u00e9\"}"));
  }

  @Test
  void aCardNumberNeedsNoQuotes() throws Exception {
    String inSchema = "{\"messages\":[{\"role\":\"user\",\"content\":\"pay\"}],\"tools\":[{\"type\":\"function\","
        + "\"function\":{\"name\":\"pay\",\"parameters\":{\"type\":\"object\",\"properties\":{\"card\":{\"type\":\"integer\","
        + "\"default\":4111111111111111,\"maximum\":100}}}}}]}";
    blocked("strict", inSchema, "CREDIT_CARD");
    JsonNode card = scrubbed(inSchema, 1).path("tools").path(0).path("function").path("parameters").path("properties")
        .path("card");
    assertEquals("[REDACTED:CREDIT_CARD]", card.path("default").asText());
    assertEquals(100, card.path("maximum").asInt(), "other numbers stay numbers");
    // the body's own knobs are not text: a random seed may pass the card check
    scrubbedUnchanged("{\"seed\":4111111111111111,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  }

  @Test
  void onlyAnImagePartsImageIsLeftUnscanned() throws Exception {
    String tool = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tools\":[{\"type\":\"function\","
        + "\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{\"image_url\":%s}}}}]}";
    blocked("strict", tool.formatted("\"carol@example.com\""), "EMAIL");
    blocked("strict", tool.formatted("{\"url\":\"dave@example.com\"}"), "EMAIL");
    // an image part's URL is the image, not text: a pre-signed URL may hold anything
    String image = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"what is it?\"},"
        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://erin@example.com/i.png\"}}]}]}";
    assertFalse(scrubbedUnchanged(image).toString().contains("REDACTED"));
  }
}
