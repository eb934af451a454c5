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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An OpenAI caller uses tools on an anthropic route: the tools, the earlier calls and their
 * results reach Anthropic as tool use; Anthropic's tool_use comes back as OpenAI tool_calls, whole
 * or streamed; and the answer's tool input is scanned and billed like text, as on an openai route.
 * A JSON answer (response_format) is asked for as one forced tool and comes back as the content.
 */
class AnthropicToolsEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MODEL = "claude-sonnet-4-20250514";

  @TempDir Path tmp;

  private static Route claude(String name, URI base, RedactionPolicy redaction) {
    return claude(name, base, redaction, 6000);
  }

  private static Route claude(String name, URI base, RedactionPolicy redaction, int maxTokensIn) {
    return claude(name, MODEL, base, redaction, maxTokensIn);
  }

  private static Route claude(String name, String model, URI base, RedactionPolicy redaction, int maxTokensIn) {
    return new Route(name, "prod", new ProviderSpec(ProviderType.ANTHROPIC, model, Optional.of("OPENAI_KEY"),
        Optional.of(base), List.of(), Optional.of(SealedGateway.ONE_USD_PER_1M), 5_000),
        SealedGateway.policy(maxTokensIn, 200, "5", true, redaction));
  }

  /**
   * Anthropic adds a tool-use system prompt (up to 804 tokens, on Opus 4.7) to a call that offers tools: billed
   * input in none of the request's texts. It counts against max_tokens_in, JSON answers included.
   */
  @Test
  void theToolUseSystemPromptCountsAgainstTheLimit() throws Exception {
    String tool = ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"clock\"}}]";
    String json = ",\"response_format\":{\"type\":\"json_object\"}";
    String ask = "{\"max_tokens\":50,\"messages\":[{\"role\":\"user\",\"content\":\"what time is it?\"}]%s}";
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(claude("claude", provider.url("/v1").uri(), RedactionPolicy.OFF, 400)));
      try (Gateway g = sg.start()) {
        for (String extra : List.of(tool, json)) {
          HttpResponse<String> r = post(g.port(), "/routes/claude", ask.formatted(extra));
          assertEquals(400, r.statusCode(), r.body());
          JsonNode error = JSON.readTree(r.body()).path("error");
          assertEquals("max_tokens_in_exceeded", error.path("code").asText());
          int counted = Integer.parseInt(error.path("message").asText().replaceAll("^the prompt is (\\d+) tokens.*", "$1"));
          assertTrue(counted > 804 && counted < 880, error.toString());
        }
        provider.enqueue(toolUse("clock", "{}", 10, 5));
        HttpResponse<String> plain = post(g.port(), "/routes/claude", ask.formatted(""));
        assertEquals(200, plain.statusCode(), "without tools the same prompt passes: " + plain.body());
        assertEquals(1, provider.getRequestCount(), "nothing was sent for the refused calls");
      }
    }
    LeakWatch.assertNoLeaks();
  }

  private static final String CONVERSATION = """
      {"max_tokens":100,"messages":[
        {"role":"user","content":"weather in Paris?"},
        {"role":"assistant","content":null,"tool_calls":[
          {"id":"toolu_1","type":"function","function":{"name":"weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]},
        {"role":"tool","tool_call_id":"toolu_1","content":"18C, ask carol@example.com"},
        {"role":"user","content":"mail it to the team"}],
       "tools":[{"type":"function","function":{"name":"weather","description":"Current weather",
           "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}},
         {"type":"function","function":{"name":"send_mail","parameters":{"type":"object",
           "properties":{"to":{"type":"string"},"body":{"type":"string"}}}}}],
       "tool_choice":"auto"%s}""";

  /** Scrubs e-mail addresses in prompts and answers. */
  private static final RedactionPolicy WARN = new RedactionPolicy(RedactionMode.WARN, List.of(RedactionPattern.EMAIL), true);

  /** A whole Anthropic answer that only calls tool {@code name} with {@code input}. */
  private static MockResponse toolUse(String name, String input, int inputTokens, int outputTokens) {
    return toolUse(MODEL, name, input, inputTokens, outputTokens);
  }

  private static MockResponse toolUse(String model, String name, String input, int inputTokens, int outputTokens) {
    return new MockResponse.Builder().addHeader("Content-Type", "application/json").body(
        "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + model + "\","
        + "\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"" + name + "\",\"input\":" + input + "}],"
        + "\"stop_reason\":\"tool_use\",\"usage\":{\"input_tokens\":" + inputTokens + ",\"output_tokens\":" + outputTokens
        + "}}").build();
  }

  @Test
  void aToolConversationRoundTripsAndTheAnswersInputIsScrubbed() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(toolUse("send_mail", "{\"to\":\"dave@example.com\",\"body\":\"18C in Paris\"}", 120, 30));
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(claude("claude", provider.url("/v1").uri(), WARN)));
      try (Gateway g = sg.start()) {
        HttpResponse<String> r = post(g.port(), "/routes/claude", CONVERSATION.formatted(""));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode message = JSON.readTree(r.body()).path("choices").path(0).path("message");
        assertTrue(message.path("content").isNull(), r.body());
        JsonNode call = message.path("tool_calls").path(0);
        assertEquals("toolu_2", call.path("id").asText());
        assertEquals("send_mail", call.path("function").path("name").asText());
        JsonNode args = JSON.readTree(call.path("function").path("arguments").asText());
        assertEquals("[REDACTED:EMAIL]", args.path("to").asText(), "the model's tool input is scanned, and stays JSON");
        assertEquals("18C in Paris", args.path("body").asText());
        assertEquals("tool_calls", JSON.readTree(r.body()).path("choices").path(0).path("finish_reason").asText());
        assertEquals("1", r.headers().firstValue("x-parapet-redactions").orElse(""), "the tool result was scrubbed");
      }
      RecordedRequest sent = provider.takeRequest(5, TimeUnit.SECONDS);
      assertEquals("/v1/messages", sent.getTarget());
      JsonNode up = JSON.readTree(sent.getBody().utf8());
      assertEquals(JSON.readTree("""
          [{"name":"weather","description":"Current weather",
            "input_schema":{"type":"object","properties":{"city":{"type":"string"}}}},
           {"name":"send_mail","input_schema":{"type":"object",
            "properties":{"to":{"type":"string"},"body":{"type":"string"}}}}]"""), up.path("tools"));
      assertEquals(JSON.readTree("{\"type\":\"auto\"}"), up.path("tool_choice"));
      assertEquals(JSON.readTree("""
          [{"role":"user","content":[{"type":"text","text":"weather in Paris?"}]},
           {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"weather","input":{"city":"Paris"}}]},
           {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"18C, ask [REDACTED:EMAIL]"},
             {"type":"text","text":"mail it to the team"}]}]"""), up.path("messages"));
      assertEquals(150_000L, SealedGateway.route(sg.spendToday(), "claude"), "settled on the reported usage");
    }
    LeakWatch.assertNoLeaks();
  }

  /** response_format on an anthropic route: one forced tool up, its input back as the content. */
  @Test
  void aJsonAnswerIsAskedForAsAForcedToolAndArrivesAsContent() throws Exception {
    String streamed = event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_k\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"model\":\"" + MODEL + "\",\"content\":[],\"usage\":{\"input_tokens\":40,\"output_tokens\":1}}}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
        + "{\"type\":\"tool_use\",\"id\":\"toolu_k\",\"name\":\"parapet_json_answer\",\"input\":{}}}")
        + inputDelta("{\"owner\": \"the") + inputDelta(" team\", \"count\": 3}")
        + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
        + event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":12}}")
        + event("message_stop", "{\"type\":\"message_stop\"}");
    String ask = "{\"max_tokens\":100,%s\"messages\":[{\"role\":\"user\",\"content\":\"who owns it?\"}],"
        + "\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"owner\",\"schema\":"
        + "{\"type\":\"object\",\"properties\":{\"owner\":{\"type\":\"string\"},\"count\":{\"type\":\"integer\"}}}}}}";
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(toolUse("parapet_json_answer", "{\"owner\":\"erin@example.com\",\"count\":3}", 40, 12));
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").chunkedBody(streamed, 40).build());
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(claude("claude", provider.url("/v1").uri(), WARN)));
      try (Gateway g = sg.start()) {
        HttpResponse<String> r = post(g.port(), "/routes/claude", ask.formatted(""));
        assertEquals(200, r.statusCode(), r.body());
        JsonNode choice = JSON.readTree(r.body()).path("choices").path(0);
        assertEquals("stop", choice.path("finish_reason").asText());
        assertFalse(choice.path("message").has("tool_calls"), r.body());
        JsonNode answer = JSON.readTree(choice.path("message").path("content").asText());
        assertEquals("[REDACTED:EMAIL]", answer.path("owner").asText(), "scanned as the answer's text, still JSON");
        assertEquals(3, answer.path("count").asInt());

        HttpResponse<String> s = post(g.port(), "/routes/claude", ask.formatted("\"stream\":true,"));
        assertEquals(200, s.statusCode(), s.body());
        StringBuilder content = new StringBuilder();
        for (String line : s.body().split("\n")) {
          if (line.startsWith("data: {")) {
            content.append(JSON.readTree(line.substring(6)).path("choices").path(0).path("delta").path("content").asText(""));
          }
        }
        assertEquals("{\"owner\": \"the team\", \"count\": 3}", content.toString());
        assertFalse(s.body().contains("tool_calls") || s.body().contains("parapet_json_answer"), s.body());
      }
      JsonNode sent = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
      assertEquals("parapet_json_answer", sent.path("tools").path(0).path("name").asText());
      assertEquals(JSON.readTree("{\"type\":\"object\",\"properties\":{\"owner\":{\"type\":\"string\"},"
          + "\"count\":{\"type\":\"integer\"}}}"), sent.path("tools").path(0).path("input_schema"));
      assertEquals(JSON.readTree("{\"type\":\"tool\",\"name\":\"parapet_json_answer\"}"), sent.path("tool_choice"));
    }
    LeakWatch.assertNoLeaks();
  }


  private static String inputDelta(String partial) throws Exception {
    return event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
        + "{\"type\":\"input_json_delta\",\"partial_json\":" + JSON.writeValueAsString(partial) + "}}");
  }

  @Test
  void aStreamedToolCallArrivesAsDeltasAndAnAddressInItsInputCutsTheStream() throws Exception {
    RedactionPolicy block = new RedactionPolicy(RedactionMode.BLOCK, List.of(RedactionPattern.EMAIL), true);
    String start = event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_2\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"model\":\"" + MODEL + "\",\"content\":[],\"usage\":{\"input_tokens\":120,\"output_tokens\":1}}}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
        + "{\"type\":\"tool_use\",\"id\":\"toolu_3\",\"name\":\"send_mail\",\"input\":{}}}");
    String end = event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
        + event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":25}}")
        + event("message_stop", "{\"type\":\"message_stop\"}");
    String clean = start + inputDelta("{\"to\": \"the team\", ") + inputDelta("\"body\": \"18C\"}") + end;
    String leaking = start + inputDelta("{\"to\": \"dave") + inputDelta("@exam") + inputDelta("ple.com\", ")
        + inputDelta("\"body\": \"secret plans\"}") + end;
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(claude("claude", provider.url("/v1").uri(), block)));
      String streamed = CONVERSATION.formatted(",\"stream\":true").replace("carol@example.com", "carol");
      try (Gateway g = sg.start()) {
        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream")
            .chunkedBody(clean, 50).build());
        HttpResponse<String> ok = post(g.port(), "/routes/claude", streamed);
        assertEquals(200, ok.statusCode(), ok.body());
        StringBuilder arguments = new StringBuilder();
        String finish = null;
        for (String line : ok.body().split("\n")) {
          if (!line.startsWith("data: {")) {
            continue;
          }
          JsonNode choice = JSON.readTree(line.substring(6)).path("choices").path(0);
          JsonNode call = choice.path("delta").path("tool_calls").path(0);
          if (call.has("id")) {
            assertEquals("toolu_3", call.path("id").asText());
            assertEquals("send_mail", call.path("function").path("name").asText());
          }
          arguments.append(call.path("function").path("arguments").asText(""));
          finish = choice.path("finish_reason").isTextual() ? choice.path("finish_reason").asText() : finish;
        }
        assertEquals("{\"to\": \"the team\", \"body\": \"18C\"}", arguments.toString());
        assertEquals("tool_calls", finish);
        assertTrue(ok.body().endsWith("data: [DONE]\n\n"), ok.body());

        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream")
            .chunkedBody(leaking, 50).build());
        HttpResponse<String> cut = post(g.port(), "/routes/claude", streamed);
        assertEquals(200, cut.statusCode());
        assertTrue(cut.body().contains("\"code\":\"stream_truncated\""), cut.body());
        assertFalse(cut.body().contains("ple.com") || cut.body().contains("secret plans"), cut.body());
      }
      JsonNode sent = JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8());
      assertTrue(sent.path("stream").asBoolean());
      assertEquals("send_mail", sent.path("tools").path(1).path("name").asText());
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * A tool that takes no input streams no JSON for it (an empty {@code input_json_delta} at most):
   * Anthropic's input is then {@code {}}, and so is the call's {@code arguments} in OpenAI's stream
   * and in Parapet's own unstreamed translation. The stream used to end such a call with {@code
   * arguments: ""}, which {@code JSON.parse}/{@code json.loads} in a caller's tool loop refuse.
   */
  @Test
  void aStreamedToolCallWithoutInputHasAnEmptyObjectForArguments() throws Exception {
    RedactionPolicy off = RedactionPolicy.OFF;
    String stream = event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_3\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"model\":\"" + MODEL + "\",\"content\":[],\"usage\":{\"input_tokens\":120,\"output_tokens\":1}}}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
        + "{\"type\":\"tool_use\",\"id\":\"toolu_4\",\"name\":\"now\",\"input\":{}}}")
        + inputDelta("")
        + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
        + event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":9}}")
        + event("message_stop", "{\"type\":\"message_stop\"}");
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(claude("claude", provider.url("/v1").uri(), off)));
      try (Gateway g = sg.start()) {
        provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream").body(stream).build());
        HttpResponse<String> r = post(g.port(), "/routes/claude", CONVERSATION.formatted(",\"stream\":true"));
        assertEquals(200, r.statusCode(), r.body());
        StringBuilder arguments = new StringBuilder();
        for (String line : r.body().split("\n")) {
          if (line.startsWith("data: {")) {
            JsonNode call = JSON.readTree(line.substring(6)).path("choices").path(0).path("delta").path("tool_calls").path(0);
            arguments.append(call.path("function").path("arguments").asText(""));
          }
        }
        assertEquals("{}", arguments.toString(), r.body());
        assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
      }
    }
    LeakWatch.assertNoLeaks();
  }

  /** A model with Anthropic's structured outputs (strict tool use, generally available). */
  private static final String STRICT_MODEL = "claude-sonnet-4-5-20250929";

  private static final String STRICT_TOOLS = """
      {"max_tokens":100,%s"messages":[{"role":"user","content":"weather in Paris?"}],
       "tools":[{"type":"function","function":{"name":"weather","strict":true,"parameters":{"type":"object",
           "properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}}},
         {"type":"function","function":{"name":"clock","strict":false}}],
       "tool_choice":"required"}""";

  private static final String STRICT_JSON = """
      {"max_tokens":100,%s"messages":[{"role":"user","content":"who owns it?"}],
       "response_format":{"type":"json_schema","json_schema":{"name":"owner","strict":true,"schema":
         {"type":"object","properties":{"owner":{"type":"string"}},"required":["owner"],"additionalProperties":false}}}}""";

  /** An Anthropic stream whose one block is tool {@code name}'s input, {@code input} in two deltas. */
  private static String toolUseStream(String model, String name, String input) throws Exception {
    int half = input.length() / 2;
    return event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_s\",\"type\":\"message\","
        + "\"role\":\"assistant\",\"model\":\"" + model + "\",\"content\":[],\"usage\":{\"input_tokens\":40,\"output_tokens\":1}}}")
        + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
        + "{\"type\":\"tool_use\",\"id\":\"toolu_s\",\"name\":\"" + name + "\",\"input\":{}}}")
        + inputDelta(input.substring(0, half)) + inputDelta(input.substring(half))
        + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
        + event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":10}}")
        + event("message_stop", "{\"type\":\"message_stop\"}");
  }

  /**
   * {@code strict: true} (what the Vercel AI SDK's generateObject and LangChain's
   * withStructuredOutput send) on a model with Anthropic's structured outputs: a strict function
   * becomes a strict tool, a strict JSON answer the forced tool made strict; the answers, whole and
   * streamed, translate as without it, and settle on the reported usage.
   */
  @Test
  void strictSchemasBecomeStrictToolsOnAModelWithStructuredOutputs() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      provider.enqueue(toolUse(STRICT_MODEL, "weather", "{\"city\":\"Paris\"}", 40, 10));
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream")
          .chunkedBody(toolUseStream(STRICT_MODEL, "weather", "{\"city\": \"Paris\"}"), 40).build());
      provider.enqueue(toolUse(STRICT_MODEL, "parapet_json_answer", "{\"owner\":\"the team\"}", 40, 10));
      provider.enqueue(new MockResponse.Builder().addHeader("Content-Type", "text/event-stream")
          .chunkedBody(toolUseStream(STRICT_MODEL, "parapet_json_answer", "{\"owner\": \"the team\"}"), 40).build());
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(),
          List.of(claude("claude", STRICT_MODEL, provider.url("/v1").uri(), RedactionPolicy.OFF, 6000)));
      try (Gateway g = sg.start()) {
        HttpResponse<String> call = post(g.port(), "/routes/claude", STRICT_TOOLS.formatted(""));
        assertEquals(200, call.statusCode(), call.body());
        JsonNode choice = JSON.readTree(call.body()).path("choices").path(0);
        assertEquals("tool_calls", choice.path("finish_reason").asText());
        assertEquals("{\"city\":\"Paris\"}", choice.path("message").path("tool_calls").path(0).path("function")
            .path("arguments").asText());

        HttpResponse<String> streamedCall = post(g.port(), "/routes/claude", STRICT_TOOLS.formatted("\"stream\":true,"));
        assertEquals(200, streamedCall.statusCode(), streamedCall.body());
        assertEquals("{\"city\": \"Paris\"}", streamed(streamedCall.body(), "/delta/tool_calls/0/function/arguments"));
        assertTrue(streamedCall.body().contains("\"finish_reason\":\"tool_calls\""), streamedCall.body());

        HttpResponse<String> answer = post(g.port(), "/routes/claude", STRICT_JSON.formatted(""));
        assertEquals(200, answer.statusCode(), answer.body());
        choice = JSON.readTree(answer.body()).path("choices").path(0);
        assertEquals("stop", choice.path("finish_reason").asText());
        assertEquals("{\"owner\":\"the team\"}", choice.path("message").path("content").asText());
        assertFalse(choice.path("message").has("tool_calls"), answer.body());

        HttpResponse<String> streamedAnswer = post(g.port(), "/routes/claude", STRICT_JSON.formatted("\"stream\":true,"));
        assertEquals(200, streamedAnswer.statusCode(), streamedAnswer.body());
        assertEquals("{\"owner\": \"the team\"}", streamed(streamedAnswer.body(), "/delta/content"));
        assertFalse(streamedAnswer.body().contains("tool_calls") || streamedAnswer.body().contains("parapet_json_answer"));
      }
      JsonNode tools = JSON.readTree("""
          {"model":"%s","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"weather in Paris?"}]}],
           "tools":[{"name":"weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},
               "required":["city"],"additionalProperties":false},"strict":true},
             {"name":"clock","input_schema":{"type":"object","properties":{}}}],
           "tool_choice":{"type":"any"}}""".formatted(STRICT_MODEL));
      assertEquals(tools, JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8()));
      assertEquals(((ObjectNode) tools.deepCopy()).put("stream", true),
          JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8()));
      JsonNode json = JSON.readTree("""
          {"model":"%s","max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"who owns it?"}]}],
           "tools":[{"name":"parapet_json_answer","description":"Give your whole answer as this tool's input, a owner object.",
             "input_schema":{"type":"object","properties":{"owner":{"type":"string"}},"required":["owner"],
               "additionalProperties":false},"strict":true}],
           "tool_choice":{"type":"tool","name":"parapet_json_answer"}}""".formatted(STRICT_MODEL));
      assertEquals(json, JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8()));
      assertEquals(((ObjectNode) json.deepCopy()).put("stream", true),
          JSON.readTree(provider.takeRequest(5, TimeUnit.SECONDS).getBody().utf8()));
      assertEquals(4 * 50_000L, SealedGateway.route(sg.spendToday(), "claude"), "each settled on its reported usage");
    }
    LeakWatch.assertNoLeaks();
  }

  /** The text of every chunk's {@code choices[0]} at {@code pointer}, joined. */
  private static String streamed(String body, String pointer) throws Exception {
    StringBuilder out = new StringBuilder();
    for (String line : body.split("\n")) {
      if (line.startsWith("data: {")) {
        out.append(JSON.readTree(line.substring(6)).path("choices").path(0).at(pointer).asText(""));
      }
    }
    return out.toString();
  }

  /**
   * A model without structured outputs (Claude 4, Opus 4.1, 3.x) would take a strict schema as a
   * hint: {@code strict: true} there is refused before anything is sent, and the refusal says which
   * models guarantee a schema.
   */
  @Test
  void strictSchemasAreRefusedOnAModelWithoutStructuredOutputs() throws Exception {
    try (MockWebServer provider = new MockWebServer()) {
      provider.start();
      SealedGateway sg = new SealedGateway(tmp.resolve("data"), Optional.empty(), List.of(
          claude("claude4", MODEL, provider.url("/v1").uri(), RedactionPolicy.OFF, 6000),
          claude("opus41", "claude-opus-4-1-20250805", provider.url("/v1").uri(), RedactionPolicy.OFF, 6000)));
      try (Gateway g = sg.start()) {
        for (String route : List.of("claude4", "opus41")) {
          for (String ask : List.of(STRICT_TOOLS.formatted(""), STRICT_JSON.formatted("\"stream\":true,"))) {
            HttpResponse<String> r = post(g.port(), "/routes/" + route, ask);
            assertEquals(400, r.statusCode(), r.body());
            JsonNode error = JSON.readTree(r.body()).path("error");
            assertEquals("invalid_request", error.path("code").asText());
            String message = error.path("message").asText();
            assertTrue(message.startsWith(ask.contains("tools") ? "tools[0].function.strict: true is not supported by "
                + "this route's model" : "response_format.json_schema.strict: true is not supported by this route's model"),
                message);
            assertTrue(message.contains("structured outputs are on Claude Opus 4.5 to 4.8, Sonnet 4.5, 4.6 and 5, "
                + "Haiku 4.5"), message);
          }
        }
      }
      assertEquals(0, provider.getRequestCount(), "nothing was sent");
    }
    LeakWatch.assertNoLeaks();
  }
}
