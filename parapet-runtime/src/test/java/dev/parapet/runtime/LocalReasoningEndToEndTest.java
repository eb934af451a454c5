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
  private int gateways; // each gateway its own store: each has its own master key

  private static Route local(String name, URI base, RedactionMode mode) {
    return new Route(name, "prod", new ProviderSpec(ProviderType.LOCAL, MODEL, Optional.of("OPENAI_KEY"),
        Optional.of(base), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
        SealedGateway.policy(6000, 500, "5", false, new RedactionPolicy(mode, List.of(RedactionPattern.EMAIL), true)));
  }

  private static String chunk(String delta) {
    return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + MODEL
        + "\",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":null}]}\n\n";
  }

  /** The answers a {@code block} route gives for {@code stream} and a {@code warn} route for {@code whole}. */
  private record Answers(HttpResponse<String> cut, JsonNode scrubbed) {
    JsonNode scrubbedMessage() {
      return scrubbed.path("choices").path(0).path("message");
    }
  }

  private Answers answers(String stream, String whole) throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").chunkedBody(stream, 48).build());
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "application/json").body(whole).build());
      SealedGateway sg = new SealedGateway(tmp.resolve("data-" + gateways++), Optional.empty(), List.of(
          local("strict", provider.url("/v1").uri(), RedactionMode.BLOCK),
          local("scrubbed", provider.url("/v1").uri(), RedactionMode.WARN)));
      try (Gateway g = sg.start()) {
        HttpResponse<String> cut = post(g.port(), "/routes/strict",
            "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"who do I ask?\"}]}");
        assertEquals(200, cut.statusCode());
        HttpResponse<String> scrubbed = post(g.port(), "/routes/scrubbed",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"who do I ask?\"}]}");
        assertEquals(200, scrubbed.statusCode(), scrubbed.body());
        return new Answers(cut, JSON.readTree(scrubbed.body()));
      }
    } finally {
      LeakWatch.assertNoLeaks();
    }
  }

  private static String whole(String messageFields) {
    return "{\"id\":\"c2\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"" + MODEL + "\","
        + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\"," + messageFields + "},\"finish_reason\":\"stop\"}],"
        + "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21}}";
  }

  @Test
  void reasoningIsScannedInStreamsAndWholeAnswers() throws Exception {
    String stream = chunk("{\"role\":\"assistant\",\"content\":\"\"}")
        + chunk("{\"reasoning_content\":\"The user's manager is \"}")
        + chunk("{\"reasoning_content\":\"erin@example.com, so\"}")
        + chunk("{\"content\":\"Ask your manager.\"}")
        + "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + MODEL
        + "\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    Answers a = answers(stream, whole("\"reasoning\":\"Mail frank@example.com first.\",\"content\":\"Ask your manager.\""));
    assertTrue(a.cut().body().contains("\"code\":\"stream_truncated\""), a.cut().body());
    assertFalse(a.cut().body().contains("erin@example.com"), a.cut().body());
    assertEquals("Mail [REDACTED:EMAIL] first.", a.scrubbedMessage().path("reasoning").asText(), a.scrubbedMessage().toString());
    assertEquals("Ask your manager.", a.scrubbedMessage().path("content").asText());
  }

  /**
   * A server may put answer text in fields no guard knows (OpenRouter's {@code reasoning_details},
   * a field added next year). The caller receives them, so they are scanned too: the stream is cut,
   * the whole answer scrubbed where the text stands; they are not counted (they may not be billed).
   */
  @Test
  void textInFieldsNobodyReadsIsScannedToo() throws Exception {
    String stream = chunk("{\"role\":\"assistant\",\"content\":\"\"}")
        + chunk("{\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":\"write to gina@\"}]}")
        + chunk("{\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":\"example.com now\"}]}")
        + chunk("{\"content\":\"Done.\"}");
    Answers a = answers(stream, whole("\"content\":\"Done.\",\"reasoning_details\":[{\"type\":\"reasoning.text\","
        + "\"text\":\"cc hank@example.com\"}],\"notes\":[\"and ivan@example.com\", 7]"));
    assertTrue(a.cut().body().contains("\"code\":\"stream_truncated\""), "an address split across two chunks: " + a.cut().body());
    assertFalse(a.cut().body().contains("Done."), a.cut().body());
    JsonNode message = a.scrubbedMessage();
    assertEquals("cc [REDACTED:EMAIL]", message.path("reasoning_details").path(0).path("text").asText(), message.toString());
    assertEquals("and [REDACTED:EMAIL]", message.path("notes").path(0).asText(), message.toString());
    assertEquals(7, message.path("notes").path(1).asInt());
  }

  /**
   * Nor are a delta's fields the only place: a server may add its own beside the choices (a
   * debugging field) or beside a choice's delta. Every string there is scanned too; OpenAI's own
   * identifiers ({@code id}, {@code model}) are left as they are.
   */
  @Test
  void textBesideTheChoicesIsScannedToo() throws Exception {
    String beside = chunk("{\"role\":\"assistant\",\"content\":\"\"}")
        + chunk("{\"content\":\"Ask\"}").replace("{\"id\"", "{\"x_debug\":{\"trace\":\"route via kim@\"},\"id\"")
        + chunk("{\"content\":\" your manager.\"}").replace("{\"id\"", "{\"x_debug\":{\"trace\":\"example.com\"},\"id\"")
        + chunk("{\"content\":\" Done.\"}");
    String wholeAnswer = whole("\"content\":\"Ask your manager.\"").replace("\"finish_reason\"",
        "\"provider_note\":[\"cc lou@example.com\", 3],\"finish_reason\"").replace("\"usage\"",
        "\"x_debug\":{\"upstream\":\"mia@example.com via relay\"},\"usage\"");
    Answers a = answers(beside, wholeAnswer);
    assertTrue(a.cut().body().contains("\"code\":\"stream_truncated\""), "an address split across two chunks' tops: "
        + a.cut().body());
    assertFalse(a.cut().body().contains("Done."), a.cut().body());
    assertFalse(a.cut().body().contains("example.com\"}"), a.cut().body());
    JsonNode scrubbed = a.scrubbed();
    assertEquals("[REDACTED:EMAIL] via relay", scrubbed.path("x_debug").path("upstream").asText(), scrubbed.toString());
    assertEquals("cc [REDACTED:EMAIL]", scrubbed.path("choices").path(0).path("provider_note").path(0).asText());
    assertEquals(3, scrubbed.path("choices").path(0).path("provider_note").path(1).asInt());
    assertEquals("Ask your manager.", a.scrubbedMessage().path("content").asText());
    assertEquals("c2", scrubbed.path("id").asText());
    assertEquals(MODEL, scrubbed.path("model").asText());

    String choiceLevel = chunk("{\"role\":\"assistant\",\"content\":\"\"}")
        + chunk("{\"content\":\"Ask\"}").replace("\"finish_reason\":null", "\"provider_note\":\"nia@example.com\",\"finish_reason\":null")
        + chunk("{\"content\":\" Done.\"}");
    Answers b = answers(choiceLevel, wholeAnswer);
    assertTrue(b.cut().body().contains("\"code\":\"stream_truncated\""), "an address beside a delta: " + b.cut().body());
    assertFalse(b.cut().body().contains("Done."), b.cut().body());
    assertFalse(b.cut().body().contains("nia@example.com"), b.cut().body());
  }
}
