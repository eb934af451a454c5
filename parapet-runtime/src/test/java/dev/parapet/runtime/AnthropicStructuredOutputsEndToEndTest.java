package dev.parapet.runtime;

import static dev.parapet.runtime.testing.AnthropicSse.event;
import static dev.parapet.runtime.SealedGateway.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.runtime.testing.LeakWatch;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Claude Fable 5.1 and Mythos 5.1 refuse forced tool use (tool_choice any or tool: a 400 from
 * Anthropic). There a JSON answer (response_format json_schema) is asked for as Anthropic's
 * structured outputs, output_config.format, and its text comes back as the content, whole and
 * streamed; what nothing can make Anthropic do (a forced tool_choice, a schema-less json_object)
 * is refused before anything is sent.
 */
class AnthropicStructuredOutputsEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FABLE = "claude-fable-5-1";
  private static final String MYTHOS = "claude-mythos-5-1-20260901";
  /** The 5.5 models that refuse forced tools as Fable 5.1 does. */
  private static final String OPUS_55 = "claude-opus-5-5";
  private static final String SONNET_55 = "claude-sonnet-5-5";

  @TempDir Path tmp;

  private static Route claude(String name, String model, URI base, int maxTokensIn) {
    return new Route(name, "prod", new ProviderSpec(ProviderType.ANTHROPIC, model, Optional.of("OPENAI_KEY"),
        Optional.of(base), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
        SealedGateway.policy(maxTokensIn, 200, "5", true, RedactionPolicy.OFF));
  }

  private static final String SCHEMA =
      "{\"type\":\"object\",\"properties\":{\"owner\":{\"type\":\"string\"}},\"required\":[\"owner\"],"
      + "\"additionalProperties\":false}";

  /** A json_schema answer, strict or not ({@code %s} for more fields). */
  private static final String ASK = "{\"max_tokens\":100,%s\"messages\":[{\"role\":\"user\",\"content\":\"who owns it?\"}],"
      + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"owner\",%s\"schema\":" + SCHEMA + "}}}";

  /** A whole answer: a thinking block (these models always think), then the JSON as text. */
  private static MockResponse whole(String model, String text, int in, int out) throws Exception {
    return new MockResponse.Builder().addHeader("Content-Type", "application/json").body(
        "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + model + "\",\"content\":["
        + "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"EqQB\"},"
        + "{\"type\":\"text\",\"text\":" + JSON.writeValueAsString(text) + "}],"
        + "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":" + in + ",\"output_tokens\":" + out + "}}").build();
  }


  private static String textDelta(int index, String text) throws Exception {
    return event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":" + index
        + ",\"delta\":{\"type\":\"text_delta\",\"text\":" + JSON.writeValueAsString(text) + "}}");
  }

  /** The same answer streamed, the JSON text in two deltas after an empty thinking block. */
  private static MockResponse streamed(String model, String text, int in, int out) throws Exception {
    int half = text.length() / 2;
    String body = event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_s\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"model\":\"" + model + "\",\"content\":[],\"usage\":{\"input_tokens\":" + in
        + ",\"output_tokens\":1}}}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
        + "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}")
        + event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
        + "{\"type\":\"signature_delta\",\"signature\":\"EqQB\"}}")
        + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
        + "{\"type\":\"text\",\"text\":\"\"}}")
        + textDelta(1, text.substring(0, half)) + textDelta(1, text.substring(half))
        + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}")
        + event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
        + "\"usage\":{\"output_tokens\":" + out + "}}")
        + event("message_stop", "{\"type\":\"message_stop\"}");
    return new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").chunkedBody(body, 40).build();
  }

  /** The text of every chunk's {@code choices[0]} at {@code pointer}, joined. */
  private static String streamedText(String body, String pointer) throws Exception {
    StringBuilder out = new StringBuilder();
    for (String line : body.split("\n")) {
      if (line.startsWith("data: {")) {
        out.append(JSON.readTree(line.substring(6)).path("choices").path(0).at(pointer).asText(""));
      }
    }
    return out.toString();
  }

  /**
   * A json_schema answer on Claude Fable 5.1 and Mythos 5.1 (alias and dated snapshot): the exact
   * body Anthropic receives carries output_config.format with the caller's schema and no tool; the
   * text comes back as the content, whole and streamed, finish_reason stop; beside
   * reasoning_effort the format and the effort share one output_config; each call settles on its
   * reported usage; and the format's unpublished system prompt is held as the tool path's 804.
   */
  @Test
  void aJsonAnswerIsAskedForAsStructuredOutputsOnAModelThatRefusesForcedTools() throws Exception {
    String answer = "{\"owner\":\"the team\"}";
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(whole(FABLE, answer, 40, 10));
      provider.enqueue(streamed(FABLE, answer, 40, 10));
      provider.enqueue(whole(MYTHOS, answer, 40, 10));
      provider.enqueue(whole(FABLE, answer, 40, 10));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          claude("fable", FABLE, provider.url("/v1").uri(), 6000),
          claude("mythos", MYTHOS, provider.url("/v1").uri(), 6000),
          claude("small", FABLE, provider.url("/v1").uri(), 400)));
      try (Gateway g = sg.start()) {
        HttpResponse<String> r = post(g.port(), "/routes/fable", ASK.formatted("", "\"strict\":true,"));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode choice = JSON.readTree(r.body()).path("choices").path(0);
        assertEquals(answer, choice.path("message").path("content").asText(), r.body());
        assertEquals("stop", choice.path("finish_reason").asText());
        assertFalse(choice.path("message").has("tool_calls"), r.body());

        HttpResponse<String> s = post(g.port(), "/routes/fable", ASK.formatted("\"stream\":true,", ""));
        assertEquals(200, s.statusCode(), s.body());
        assertEquals(answer, streamedText(s.body(), "/delta/content"), s.body());
        assertTrue(s.body().contains("\"finish_reason\":\"stop\""), s.body());
        assertFalse(s.body().contains("tool_calls") || s.body().contains("EqQB"), s.body());
        assertTrue(s.body().endsWith("data: [DONE]\n\n"), s.body());

        HttpResponse<String> m = post(g.port(), "/routes/mythos", ASK.formatted("", "\"strict\":false,"));
        assertEquals(200, m.statusCode(), m.body());
        assertEquals(answer, JSON.readTree(m.body()).path("choices").path(0).path("message").path("content").asText());

        HttpResponse<String> e = post(g.port(), "/routes/fable", ASK.formatted("\"reasoning_effort\":\"high\",", ""));
        assertEquals(200, e.statusCode(), e.body());
        assertEquals(answer, JSON.readTree(e.body()).path("choices").path(0).path("message").path("content").asText());

        // the format's system prompt is of a size Anthropic does not publish: held as the tool path's
        HttpResponse<String> held = post(g.port(), "/routes/small", ASK.formatted("", ""));
        assertEquals(400, held.statusCode(), held.body());
        assertEquals("max_tokens_in_exceeded", JSON.readTree(held.body()).path("error").path("code").asText());
      }
      JsonNode expected = JSON.readTree("""
          {"model":"%s","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"who owns it?"}]}],
           "output_config":{"format":{"type":"json_schema","schema":%s}}}""".formatted(FABLE, SCHEMA));
      assertEquals(expected, JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8()));
      assertEquals(((ObjectNode) expected.deepCopy()).put("stream", true),
          JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8()));
      assertEquals(((ObjectNode) expected.deepCopy()).put("model", MYTHOS),
          JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8()));
      JsonNode effort = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
      assertEquals(JSON.readTree("{\"type\":\"adaptive\"}"), effort.path("thinking"), effort.toString());
      assertEquals(JSON.readTree("{\"format\":{\"type\":\"json_schema\",\"schema\":" + SCHEMA + "},\"effort\":\"high\"}"),
          effort.path("output_config"), effort.toString());
      assertFalse(effort.has("tools") || effort.has("tool_choice"), effort.toString());
      assertEquals(4, provider.getRequestCount(), "nothing was sent for the call over max_tokens_in");
      assertEquals(4 * 50_000L, SealedGateway.route(sg.spendToday(), "fable") + SealedGateway.route(sg.spendToday(), "mythos"),
          "each settled on its reported usage");
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * What Anthropic would refuse with a 400 after a hold and a round trip is refused up front, naming
   * the model and the field: a forced tool_choice (required, a named function) and a json_object
   * answer, which structured outputs cannot express without a schema; on Claude Opus and Sonnet 5.5
   * too, which refuse forced tools as Fable 5.1 does. tool_choice auto still passes as it did.
   */
  @Test
  void aForcedToolOrASchemalessJsonAnswerIsRefusedOnAModelThatRefusesForcedTools() throws Exception {
    String tools = ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"clock\"}}]";
    String ask = "{\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"what time is it?\"}]%s}";
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      Map<String, String> models = Map.of("fable", FABLE, "mythos", MYTHOS, "opus55", OPUS_55, "sonnet55", SONNET_55);
      List<Route> routes = new ArrayList<>();
      models.forEach((route, model) -> routes.add(claude(route, model, provider.url("/v1").uri(), 6000)));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), routes);
      try (Gateway g = sg.start()) {
        for (String route : models.keySet()) {
          String model = models.get(route);
          for (String[] refused : new String[][] {
              {tools + ",\"tool_choice\":\"required\"", "tool_choice: required is not supported by this route's model, "},
              {tools + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"clock\"}}",
                  "tool_choice: a named function is not supported by this route's model, "},
              {",\"stream\":true,\"response_format\":{\"type\":\"json_object\"}",
                  "response_format.type: json_object is not supported by this route's model, "}}) {
            HttpResponse<String> r = post(g.port(), "/routes/" + route, ask.formatted(refused[0]));
            assertEquals(400, r.statusCode(), r.body());
            JsonNode error = JSON.readTree(r.body()).path("error");
            assertEquals("parapet_error", error.path("type").asText(), r.body());
            assertEquals("invalid_request", error.path("code").asText(), r.body());
            assertTrue(error.path("request_id").isTextual(), r.body());
            assertTrue(error.path("message").asText().startsWith(refused[1] + model + ", which refuses forced tool use"),
                error.toString());
          }
        }
        assertEquals(0, provider.getRequestCount(), "nothing was sent for the refused calls");

        provider.enqueue(whole(FABLE, "It is noon.", 30, 5));
        HttpResponse<String> auto = post(g.port(), "/routes/fable", ask.formatted(tools + ",\"tool_choice\":\"auto\""));
        assertEquals(200, auto.statusCode(), auto.body());
        JsonNode sent = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
        assertEquals(JSON.readTree("{\"type\":\"auto\"}"), sent.path("tool_choice"), sent.toString());
        assertEquals("clock", sent.path("tools").path(0).path("name").asText(), sent.toString());

        // and a JSON answer goes there as structured outputs, as on Fable 5.1
        provider.enqueue(whole(OPUS_55, "{\"owner\":\"ops\"}", 30, 5));
        HttpResponse<String> json = post(g.port(), "/routes/opus55", ASK.formatted("", ""));
        assertEquals(200, json.statusCode(), json.body());
        JsonNode format = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
        assertEquals(JSON.readTree("{\"format\":{\"type\":\"json_schema\",\"schema\":" + SCHEMA + "}}"),
            format.path("output_config"), format.toString());
        assertFalse(format.has("tools") || format.has("tool_choice"), format.toString());
      }
    }
    LeakWatch.assertNoLeaks();
  }
}
