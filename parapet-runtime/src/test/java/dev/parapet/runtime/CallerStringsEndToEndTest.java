package dev.parapet.runtime;

import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redaction covers every string a caller sends upstream, not only the messages: {@code user}
 * (where services put an end user's e-mail), {@code safety_identifier}, {@code prompt_cache_key},
 * tool definitions, {@code stop} and {@code response_format}'s schema. ({@code metadata} is never
 * sent: {@code ProviderRetentionEndToEndTest}.)
 * Images are not text and go up untouched: a pre-signed image URL carries an
 * {@code AKIA…} id by design. Before, each of these strings left unscanned.
 */
class CallerStringsEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** AWS's documented example access key id: API_KEY matches it. */
  private static final String AKIA = "AKIAIOSFODNN7EXAMPLE";
  private static final String PRESIGNED = "https://bucket.s3.amazonaws.com/cat.png?X-Amz-Credential=" + AKIA
      + "%2F20261206%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=abc";

  @TempDir Path tmp;

  /** An e-mail in every caller string but the messages, and media that would match if scanned. */
  private static ObjectNode everywhereButTheMessages() {
    ObjectNode body = JSON.createObjectNode();
    ArrayNode content = body.putArray("messages").addObject().put("role", "user").putArray("content");
    content.addObject().put("type", "text").put("text", "what is in these?");
    content.addObject().put("type", "image_url").putObject("image_url").put("url", PRESIGNED);
    // 40 K chars of image: large enough that the scan and the encoding leave the event loop
    byte[] png = ("alice@example.com " + AKIA + " ").repeat(1_100).getBytes();
    content.addObject().put("type", "image_url").putObject("image_url")
        .put("url", "data:image/png;base64," + Base64.getEncoder().encodeToString(png) + AKIA);
    body.put("user", "alice@example.com");
    body.put("safety_identifier", "sid:bob@example.com");
    body.put("prompt_cache_key", "carol@example.com");
    ObjectNode function = body.putArray("tools").addObject().put("type", "function").putObject("function");
    function.put("name", "notify").put("description", "Mails frank@example.com");
    ObjectNode properties = function.putObject("parameters").put("type", "object").putObject("properties");
    ObjectNode to = properties.putObject("to");
    to.put("type", "string").putArray("enum").add("grace@example.com").add("ops");
    properties.putObject("erin@example.com").put("type", "string");
    body.putArray("stop").add("heidi@example.com");
    body.putObject("response_format").put("type", "json_schema").putObject("json_schema").put("name", "answer")
        .putObject("schema").put("type", "object").put("description", "for ivan@example.com");
    return body;
  }

  @Test
  void warnScrubsEveryCallerStringAndLeavesMediaAlone() throws Exception {
    RedactionPolicy warn = new RedactionPolicy(RedactionMode.WARN,
        List.of(RedactionPattern.EMAIL, RedactionPattern.API_KEY), false);
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(AnswerPolicyEndToEndTest.json(SealedGateway.MODEL, "a cat", "fp_1"));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("vision", provider.url("/v1").uri(),
              SealedGateway.policy(6000, 50, "5", true, warn), List.of())));
      ObjectNode body = everywhereButTheMessages();
      try (Gateway g = sg.start()) {
        long offLoop = PolicyThreads.completedTasks();
        HttpResponse<String> r = post(g.port(), "/routes/vision", JSON.writeValueAsString(body));
        assertEquals(200, r.statusCode(), r.body());
        // user, safety_identifier, prompt_cache_key, the description, the enum value, the stop
        // sequence and the schema's description
        assertEquals("7", r.headers().firstValue("x-parapet-redactions").orElse(""));
        // Off the loop: the body's parse, its scan and its encoding (the image makes it large).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (PolicyThreads.completedTasks() - offLoop < 3 && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        assertEquals(3, PolicyThreads.completedTasks() - offLoop, "a large image is worked on off the event loop");
      }
      RecordedRequest sent = provider.takeRequest(5, TimeUnit.SECONDS);
      JsonNode up = JSON.readTree(sent.getBody().utf8());
      String redacted = "[REDACTED:EMAIL]";
      assertEquals(redacted, up.path("user").asText());
      assertEquals("sid:" + redacted, up.path("safety_identifier").asText());
      assertEquals(redacted, up.path("prompt_cache_key").asText());
      JsonNode function = up.path("tools").path(0).path("function");
      assertEquals("Mails " + redacted, function.path("description").asText());
      assertEquals(redacted, function.path("parameters").path("properties").path("to").path("enum").path(0).asText());
      assertEquals("ops", function.path("parameters").path("properties").path("to").path("enum").path(1).asText());
      assertEquals(redacted, up.path("stop").path(0).asText());
      assertEquals("for " + redacted,
          up.path("response_format").path("json_schema").path("schema").path("description").asText());
      // not text: sent exactly as given
      JsonNode content = up.path("messages").path(0).path("content");
      assertEquals(PRESIGNED, content.path(1).path("image_url").path("url").asText());
      assertEquals(body.path("messages").path(0).path("content").path(2).path("image_url").path("url").asText(),
          content.path(2).path("image_url").path("url").asText());
      assertEquals("string", function.path("parameters").path("properties").path("erin@example.com").path("type").asText(),
          "field names are kept");
      assertEquals(SealedGateway.MODEL, up.path("model").asText());
    }
    LeakWatch.assertNoLeaks();
  }

  @Test
  void blockRefusesASecretInAnyCallerStringButNotInAnImage() throws Exception {
    RedactionPolicy block = new RedactionPolicy(RedactionMode.BLOCK,
        List.of(RedactionPattern.EMAIL, RedactionPattern.API_KEY), false);
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          SealedGateway.openAi("strict", provider.url("/v1").uri(),
              SealedGateway.policy(6000, 50, "5", true, block), List.of())));
      try (Gateway g = sg.start()) {
        for (String field : List.of("user", "safety_identifier", "prompt_cache_key")) {
          ObjectNode body = JSON.createObjectNode();
          body.putArray("messages").addObject().put("role", "user").put("content", "hi");
          body.put(field, "alice@example.com");
          HttpResponse<String> r = post(g.port(), "/routes/strict", JSON.writeValueAsString(body));
          assertEquals(422, r.statusCode(), field + ": " + r.body());
          JsonNode error = JSON.readTree(r.body()).path("error");
          assertEquals("redaction_blocked", error.path("code").asText());
          assertTrue(error.path("message").asText().contains("EMAIL"), r.body());
          assertFalse(r.body().contains("alice@example.com"), "the match is never echoed");
        }
        ObjectNode keyInStop = JSON.createObjectNode();
        keyInStop.putArray("messages").addObject().put("role", "user").put("content", "hi");
        keyInStop.putArray("stop").add("uses " + AKIA);
        HttpResponse<String> key = post(g.port(), "/routes/strict", JSON.writeValueAsString(keyInStop));
        assertEquals(422, key.statusCode(), key.body());
        assertTrue(JSON.readTree(key.body()).path("error").path("message").asText().contains("API_KEY"), key.body());
        assertEquals(0, provider.getRequestCount(), "nothing was sent for the refused calls");

        ObjectNode image = JSON.createObjectNode();
        ArrayNode content = image.putArray("messages").addObject().put("role", "user").putArray("content");
        content.addObject().put("type", "text").put("text", "what is this?");
        content.addObject().put("type", "image_url").putObject("image_url").put("url", PRESIGNED);
        provider.enqueue(AnswerPolicyEndToEndTest.json(SealedGateway.MODEL, "a cat", "fp_1"));
        HttpResponse<String> ok = post(g.port(), "/routes/strict", JSON.writeValueAsString(image));
        assertEquals(200, ok.statusCode(), "a pre-signed image URL is not a leaked key: " + ok.body());
        assertEquals(1, provider.getRequestCount());
      }
    }
    LeakWatch.assertNoLeaks();
  }
}
