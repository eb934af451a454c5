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
    assertRefused("image_url.url", "{\"messages\":[{\"role\":\"user\",\"content\":["
        + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.com/cat.png\"}}]}]}");
  }

  @Test
  void unsupportedFieldsAreRefusedByName() {
    String msgs = "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]";
    assertRefused("tools", "{" + msgs + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}");
    assertRefused("n", "{" + msgs + ",\"n\":2}");
    assertRefused("logprobs", "{" + msgs + ",\"logprobs\":true}");
    assertRefused("response_format", "{" + msgs + ",\"response_format\":{\"type\":\"json_object\"}}");
    assertRefused("seed", "{" + msgs + ",\"seed\":7}");
    assertRefused("frequency_penalty", "{" + msgs + ",\"frequency_penalty\":0.5}");
    assertRefused("some_new_field", "{" + msgs + ",\"some_new_field\":true}");
    assertRefused("temperature", "{" + msgs + ",\"temperature\":1.5}");
    assertRefused("stop", "{" + msgs + ",\"stop\":[1]}");
    assertRefused("max_tokens: expected a positive integer", "{" + msgs + ",\"max_tokens\":0}");
    assertRefused("max_completion_tokens", "{" + msgs + ",\"max_completion_tokens\":\"9\"}");
    assertRefused("messages[0].role", "{\"messages\":[{\"role\":\"tool\",\"content\":\"x\",\"tool_call_id\":\"c\"}]}");
    assertRefused("messages[0].tool_calls", "{\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[]}]}");
    assertRefused("messages[0].content[0].type", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]}");
    assertRefused("messages: expected a non-empty array", "{\"messages\":[]}");
    assertRefused("at least one user or assistant", "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"}]}");
    assertRefused("has no content", "{\"messages\":[{\"role\":\"user\",\"content\":\"\"}]}");
  }

  @Test
  void neutralValuesOfUnsupportedFieldsAreAccepted() throws Exception {
    translate("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":1,\"presence_penalty\":0,"
        + "\"response_format\":{\"type\":\"text\"},\"tools\":[],\"tool_choice\":\"none\",\"parallel_tool_calls\":true,"
        + "\"seed\":null,\"store\":false,\"metadata\":{\"a\":\"b\"}}");
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
