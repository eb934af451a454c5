package dev.parapet.runtime.provider;

import static dev.parapet.runtime.provider.TestRoutes.json;
import static dev.parapet.runtime.provider.TestRoutes.route;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import dev.parapet.core.seal.SecretValue;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AnthropicRequestTest {
  private static final String MODEL = "claude-3-5-sonnet-20241022";
  private final ProviderAdapter anthropic = Providers.forType(ProviderType.ANTHROPIC);
  private final Route route = route(ProviderType.ANTHROPIC, MODEL, Optional.empty());
  private final Optional<SecretValue> key = Optional.of(SecretValue.of("sk-ant-test-key"));

  @Test
  void buildsTheMessagesCallWithExactHeaders() throws Exception {
    UpstreamCall call = anthropic.toUpstream(route,
        json("{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":100}"), key);
    assertEquals(URI.create("https://api.anthropic.com/v1/messages"), call.uri());
    assertEquals(Map.of(
        "content-type", "application/json",
        "accept", "application/json",
        "anthropic-version", "2023-06-01",
        "x-api-key", "sk-ant-test-key",
        "user-agent", "parapet/0.1"), call.headers());
    assertEquals("{\"model\":\"" + MODEL + "\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\","
        + "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}]}", new String(call.body(), java.nio.charset.StandardCharsets.UTF_8));
    UpstreamCall custom = anthropic.toUpstream(route(ProviderType.ANTHROPIC, MODEL, Optional.of("http://127.0.0.1:9/v1/")),
        json("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":true}"), key);
    assertEquals(URI.create("http://127.0.0.1:9/v1/messages"), custom.uri());
    assertEquals("text/event-stream", custom.headers().get("accept"));
  }

  @Test
  void translatesSystemStopSamplingUserAndMergesTurns() throws Exception {
    JsonNode body = translate("{\"model\":\"x\",\"messages\":["
        + "{\"role\":\"system\",\"content\":\"Be terse.\"},"
        + "{\"role\":\"developer\",\"content\":[{\"type\":\"text\",\"text\":\"Answer in French.\"}]},"
        + "{\"role\":\"user\",\"content\":\"Hello\"},"
        + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"there\"},{\"type\":\"text\",\"text\":\"\"}]},"
        + "{\"role\":\"assistant\",\"content\":\"Bonjour\"},"
        + "{\"role\":\"user\",\"content\":\"and?\"}],"
        + "\"max_completion_tokens\":50,\"max_tokens\":80,\"temperature\":0.2,\"top_p\":0.9,\"stop\":\"END\","
        + "\"stream\":true,\"stream_options\":{\"include_usage\":true},\"user\":\"u-42\",\"n\":1,\"logprobs\":false}");
    assertEquals(json("{\"model\":\"" + MODEL + "\",\"max_tokens\":50,"
        + "\"messages\":["
        + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hello\"},{\"type\":\"text\",\"text\":\"there\"}]},"
        + "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"Bonjour\"}]},"
        + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"and?\"}]}],"
        + "\"temperature\":0.2,\"top_p\":0.9,\"stop_sequences\":[\"END\"],\"stream\":true,"
        + "\"system\":\"Be terse.\\n\\nAnswer in French.\",\"metadata\":{\"user_id\":\"u-42\"}}"), body);
  }

  /** An OpenAI conversation replayed to Claude may hold a turn OpenAI refused: its words become text. */
  @Test
  void anAssistantRefusalPartBecomesText() throws Exception {
    JsonNode body = translate("{\"messages\":[{\"role\":\"user\",\"content\":\"pick a lock\"},"
        + "{\"role\":\"assistant\",\"content\":[{\"type\":\"refusal\",\"refusal\":\"I can't help with that.\"}]},"
        + "{\"role\":\"user\",\"content\":\"my own lock\"}]}");
    assertEquals(Json.MAPPER.readTree("[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"pick a lock\"}]},"
        + "{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"I can't help with that.\"}]},"
        + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"my own lock\"}]}]"), body.path("messages"));
    assertRefused("messages[0].content[0]: refusals only in assistant messages",
        "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"refusal\",\"refusal\":\"no\"}]}]}");
    assertRefused("messages[1].content[0].refusal: expected a string", "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
        + "{\"role\":\"assistant\",\"content\":[{\"type\":\"refusal\",\"refusal\":7}]}]}");
  }

  @Test
  void maxTokensDefaultsAndStopListsPassThrough() throws Exception {
    JsonNode body = translate("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":[\"a\",\"b\"]}");
    assertEquals(4096, body.get("max_tokens").asInt());
    assertEquals("[\"a\",\"b\"]", Json.write(body.get("stop_sequences")));
    assertFalse(body.has("system"));
    assertFalse(body.has("stream"));
  }

  @Test
  void dataUrlImagesBecomeBase64Blocks() throws Exception {
    JsonNode body = translate("{\"messages\":[{\"role\":\"user\",\"content\":["
        + "{\"type\":\"text\",\"text\":\"What is this?\"},"
        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"data:image/png;base64,iVBORw0KGgo=\",\"detail\":\"low\"}}]}]}");
    assertEquals(json("{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"iVBORw0KGgo=\"}}"),
        body.at("/messages/0/content/1"));
    // a remote image is fetched by Anthropic itself, over https only
    JsonNode remote = translate("{\"messages\":[{\"role\":\"user\",\"content\":["
        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/cat.png?X-Amz-Signature=abc\"}}]}]}");
    assertEquals(json("{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"https://example.com/cat.png?X-Amz-Signature=abc\"}}"),
        remote.at("/messages/0/content/0"));
    for (String url : List.of("http://example.com/cat.png", "file:///etc/passwd", "https://", "data:image/bmp;base64,Qk0=",
        "data:image/png;base64,not base64!", "data:image/png;base64,")) {
      assertRefused("image_url.url: expected an https URL or a base64 data: URL", "{\"messages\":[{\"role\":\"user\",\"content\":["
          + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + url + "\"}}]}]}");
    }
  }

  @Test
  void unsupportedFieldsAreRefusedByName() {
    String msgs = "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]";
    assertRefused("n", "{" + msgs + ",\"n\":2}");
    assertRefused("logprobs", "{" + msgs + ",\"logprobs\":true}");
    assertRefused("response_format.type", "{" + msgs + ",\"response_format\":{\"type\":\"grammar\"}}");
    assertRefused("seed", "{" + msgs + ",\"seed\":7}");
    assertRefused("frequency_penalty", "{" + msgs + ",\"frequency_penalty\":0.5}");
    assertRefused("some_new_field", "{" + msgs + ",\"some_new_field\":true}");
    assertRefused("temperature", "{" + msgs + ",\"temperature\":1.5}");
    assertRefused("stop", "{" + msgs + ",\"stop\":[1]}");
    assertRefused("max_tokens: expected a positive integer", "{" + msgs + ",\"max_tokens\":0}");
    assertRefused("max_completion_tokens", "{" + msgs + ",\"max_completion_tokens\":\"9\"}");
    assertRefused("messages[0].role", "{\"messages\":[{\"role\":\"function\",\"content\":\"x\",\"name\":\"f\"}]}");
    assertRefused("has no content", "{\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[]}]}");
    assertRefused("messages[0].content[0].type", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]}");
    assertRefused("messages: expected a non-empty array", "{\"messages\":[]}");
    assertRefused("at least one user or assistant", "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"}]}");
    assertRefused("has no content", "{\"messages\":[{\"role\":\"user\",\"content\":\"\"}]}");
  }

  /** An OpenAI tool-calling conversation, as Anthropic's tool use. */
  @Test
  void toolsChoicesCallsAndResultsTranslate() throws Exception {
    JsonNode out = translate("""
        {"messages":[
          {"role":"user","content":"weather in Paris and Oslo?"},
          {"role":"assistant","content":"Looking.","tool_calls":[
            {"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\\"city\\":\\"Paris\\"}"}},
            {"id":"call_2","type":"function","function":{"name":"weather","arguments":"{\\"city\\":\\"Oslo\\"}"}}]},
          {"role":"tool","tool_call_id":"call_1","content":"18C"},
          {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"4C"}]},
          {"role":"user","content":"and tomorrow?"},
          {"role":"assistant","content":null,"tool_calls":[
            {"id":"call_3","type":"function","function":{"name":"clock","arguments":""}}]},
          {"role":"tool","tool_call_id":"call_3","content":""}],
         "tools":[
          {"type":"function","function":{"name":"weather","description":"Current weather",
            "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},
          {"type":"function","function":{"name":"clock","strict":false}}],
         "tool_choice":"required","parallel_tool_calls":false}""");
    assertEquals(Json.MAPPER.readTree("""
        [{"name":"weather","description":"Current weather",
          "input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
         {"name":"clock","input_schema":{"type":"object","properties":{}}}]"""), out.get("tools"));
    assertEquals(Json.MAPPER.readTree("{\"type\":\"any\",\"disable_parallel_tool_use\":true}"), out.get("tool_choice"));
    assertEquals(Json.MAPPER.readTree("""
        [{"role":"user","content":[{"type":"text","text":"weather in Paris and Oslo?"}]},
         {"role":"assistant","content":[{"type":"text","text":"Looking."},
           {"type":"tool_use","id":"call_1","name":"weather","input":{"city":"Paris"}},
           {"type":"tool_use","id":"call_2","name":"weather","input":{"city":"Oslo"}}]},
         {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":"18C"},
           {"type":"tool_result","tool_use_id":"call_2","content":"4C"},
           {"type":"text","text":"and tomorrow?"}]},
         {"role":"assistant","content":[{"type":"tool_use","id":"call_3","name":"clock","input":{}}]},
         {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_3"}]}]"""), out.get("messages"));

    String tools = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]";
    String msgs = "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]";
    assertEquals(Json.MAPPER.readTree("{\"type\":\"tool\",\"name\":\"f\"}"), translate("{" + msgs + "," + tools
        + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"f\"}}}").get("tool_choice"));
    assertEquals(Json.MAPPER.readTree("{\"type\":\"none\"}"),
        translate("{" + msgs + "," + tools + ",\"tool_choice\":\"none\",\"parallel_tool_calls\":false}").get("tool_choice"));
    assertEquals(Json.MAPPER.readTree("{\"type\":\"auto\",\"disable_parallel_tool_use\":true}"),
        translate("{" + msgs + "," + tools + ",\"parallel_tool_calls\":false}").get("tool_choice"));
    assertFalse(translate("{" + msgs + "," + tools + ",\"parallel_tool_calls\":true}").has("tool_choice"));
  }

  /** A JSON answer is asked for as the input of one forced tool whose schema is the caller's. */
  @Test
  void aJsonResponseFormatBecomesOneForcedTool() throws Exception {
    String msgs = "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]";
    JsonNode schema = translate("{" + msgs + ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
        + "{\"name\":\"weather\",\"description\":\"Today's.\",\"strict\":false,"
        + "\"schema\":{\"type\":\"object\",\"properties\":{\"c\":{\"type\":\"number\"}}}}}}");
    assertEquals(Json.MAPPER.readTree("""
        [{"name":"parapet_json_answer","description":"Give your whole answer as this tool's input, a weather object. Today's.",
          "input_schema":{"type":"object","properties":{"c":{"type":"number"}}}}]"""), schema.get("tools"));
    assertEquals(Json.MAPPER.readTree("{\"type\":\"tool\",\"name\":\"parapet_json_answer\"}"), schema.get("tool_choice"));
    JsonNode object = translate("{" + msgs + ",\"response_format\":{\"type\":\"json_object\"}}");
    assertEquals(Json.MAPPER.readTree("{\"type\":\"object\"}"), object.at("/tools/0/input_schema"));
    assertEquals("parapet_json_answer", object.at("/tool_choice/name").asText());
    assertFalse(translate("{" + msgs + ",\"response_format\":{\"type\":\"text\"}}").has("tools"));

    String tools = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]";
    assertRefused("cannot be combined with tools",
        "{" + msgs + "," + tools + ",\"response_format\":{\"type\":\"json_object\"}}");
    assertRefused("response_format.json_schema.strict: true is not supported", "{" + msgs + ",\"response_format\":"
        + "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"w\",\"strict\":true,\"schema\":{\"type\":\"object\"}}}}");
    assertRefused("response_format.json_schema.schema", "{" + msgs + ",\"response_format\":"
        + "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"w\",\"schema\":{\"type\":\"array\"}}}}");
    assertRefused("response_format.json_schema.name", "{" + msgs + ",\"response_format\":"
        + "{\"type\":\"json_schema\",\"json_schema\":{\"schema\":{\"type\":\"object\"}}}}");
    assertRefused("tools[0].function.name: parapet_json_answer is reserved",
        "{" + msgs + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"parapet_json_answer\"}}]}");
  }

  @Test
  void badToolShapesAreRefusedByPathNeverByValue() {
    String msgs = "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]";
    String tools = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]";
    assertRefused("tools[0].type", "{" + msgs + ",\"tools\":[{\"type\":\"custom\",\"custom\":{\"name\":\"f\"}}]}");
    assertRefused("tools[0].function.name", "{" + msgs + ",\"tools\":[{\"type\":\"function\",\"function\":{}}]}");
    assertRefused("tools[0].function.parameters",
        "{" + msgs + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":[]}}]}");
    assertRefused("tools[0].function.strict",
        "{" + msgs + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"strict\":true}}]}");
    assertRefused("tools[0].function.strict: expected a boolean",
        "{" + msgs + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"strict\":\"yes\"}}]}");
    assertRefused("tools: expected an array", "{" + msgs + ",\"tools\":{}}");
    assertRefused("tool_choice: requires tools", "{" + msgs + ",\"tool_choice\":\"required\"}");
    assertRefused("tool_choice: expected", "{" + msgs + "," + tools + ",\"tool_choice\":\"sometimes\"}");
    assertRefused("tool_choice.function.name: not one of",
        "{" + msgs + "," + tools + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"g\"}}}");
    assertRefused("parallel_tool_calls", "{" + msgs + "," + tools + ",\"parallel_tool_calls\":\"no\"}");
    assertRefused("functions", "{" + msgs + ",\"functions\":[{\"name\":\"f\"}]}");
    assertRefused("messages[0].function_call",
        "{\"messages\":[{\"role\":\"assistant\",\"content\":null,\"function_call\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}");
    assertRefused("messages[0].tool_calls: only in assistant messages",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"tool_calls\":[]}]}");
    assertRefused("messages[1].tool_call_id", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
        + "{\"role\":\"tool\",\"content\":\"r\"}]}");
    assertRefused("messages[1].content: only text parts", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
        + "{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":[{\"type\":\"image_url\"}]}]}");
    assertRefused("messages[0].tool_calls[0].id", "{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":["
        + "{\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]}]}");
    // arguments that are not one JSON object: refused by path; the value (here a key) never echoed
    for (String args : List.of("{\\\"key\\\":\\\"sk-live-0123456789abcdefghij\\\"", "[1]",
        "{} sk-live-0123456789abcdefghij", "7")) {
      InvalidRequestException e = assertThrows(InvalidRequestException.class, () -> anthropic.toUpstream(route,
          json("{\"messages\":[{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\","
              + "\"function\":{\"name\":\"f\",\"arguments\":\"" + args + "\"}}]}]}"), key));
      assertEquals("messages[0].tool_calls[0].function.arguments: expected a JSON object", e.getMessage(), args);
    }
  }

  @Test
  void neutralValuesOfUnsupportedFieldsAreAccepted() throws Exception {
    translate("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":1,\"presence_penalty\":0,"
        + "\"response_format\":{\"type\":\"text\"},\"tools\":[],\"tool_choice\":\"none\",\"parallel_tool_calls\":true,"
        + "\"seed\":null,\"store\":false,\"metadata\":{\"a\":\"b\"}}");
  }

  /** reasoning_effort as extended thinking, and what Anthropic refuses with thinking refused by name. */
  @Test
  void reasoningEffortBecomesAThinkingBudget() throws Exception {
    String ask = "{\"messages\":[{\"role\":\"user\",\"content\":\"plan\"}],\"max_tokens\":5000%s}";
    for (Map.Entry<String, Integer> e : Map.of("minimal", 1024, "low", 1024, "medium", 2048, "high", 4096).entrySet()) {
      JsonNode body = translate(ask.formatted(",\"reasoning_effort\":\"" + e.getKey() + "\",\"temperature\":1,\"top_p\":0.95"));
      assertEquals(json("{\"type\":\"enabled\",\"budget_tokens\":" + e.getValue() + "}"), body.path("thinking"), e.getKey());
      assertEquals(5000, body.path("max_tokens").asInt());
    }
    assertFalse(translate(ask.formatted(",\"reasoning_effort\":\"none\"")).has("thinking"));
    assertFalse(translate(ask.formatted("")).has("thinking"));
    // a tool the model may choose, and a finished tool loop, go with thinking
    assertTrue(translate(ask.formatted(",\"reasoning_effort\":\"low\",\"tools\":[{\"type\":\"function\","
        + "\"function\":{\"name\":\"clock\"}}],\"tool_choice\":\"auto\"")).has("thinking"));

    assertRefused("reasoning_effort: expected none, minimal, low, medium, high or xhigh",
        ask.formatted(",\"reasoning_effort\":\"max\""));
    // xhigh is Anthropic's only with adaptive thinking: on a model with a budget it has none
    assertRefused("reasoning_effort: xhigh is only for a model with adaptive thinking",
        ask.formatted(",\"reasoning_effort\":\"xhigh\""));
    assertRefused("reasoning_effort: expected", ask.formatted(",\"reasoning_effort\":3"));
    assertRefused("below max_tokens (4096 here", ask.replace("5000", "4096").formatted(",\"reasoning_effort\":\"high\""));
    assertRefused("temperature: only 1 with reasoning_effort", ask.formatted(",\"reasoning_effort\":\"low\",\"temperature\":0.2"));
    assertRefused("top_p: 0.95 or more", ask.formatted(",\"reasoning_effort\":\"low\",\"top_p\":0.5"));
    String tool = ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"clock\"}}]";
    assertRefused("tool_choice: a forced tool", ask.formatted(",\"reasoning_effort\":\"low\"" + tool + ",\"tool_choice\":\"required\""));
    assertRefused("tool_choice: a forced tool", ask.formatted(",\"reasoning_effort\":\"low\"" + tool
        + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"clock\"}}"));
    assertRefused("response_format: a JSON answer cannot be combined with reasoning_effort",
        ask.formatted(",\"reasoning_effort\":\"low\",\"response_format\":{\"type\":\"json_object\"}"));
    assertRefused("the last assistant turn called tools", "{\"max_tokens\":5000,\"reasoning_effort\":\"low\"" + tool
        + ",\"messages\":[{\"role\":\"user\",\"content\":\"time?\"},{\"role\":\"assistant\",\"content\":null,"
        + "\"tool_calls\":[{\"id\":\"t1\",\"type\":\"function\",\"function\":{\"name\":\"clock\",\"arguments\":\"{}\"}}]},"
        + "{\"role\":\"tool\",\"tool_call_id\":\"t1\",\"content\":\"noon\"}]}");
  }

  private JsonNode translate(String request) throws Exception {
    return Json.MAPPER.readTree(anthropic.toUpstream(route, json(request), key).body());
  }

  private void assertRefused(String expectedInMessage, String request) {
    InvalidRequestException e =
        assertThrows(InvalidRequestException.class, () -> anthropic.toUpstream(route, json(request), key));
    assertTrue(e.getMessage().contains(expectedInMessage), e.getMessage());
  }
}
