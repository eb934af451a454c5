package dev.parapet.runtime.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import dev.parapet.runtime.testing.TestConfigs;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ChatBodyTest {
  private static final Route ROUTE = TestConfigs.route("summarizer", "prod", "echo-2024-01-01");
  private final ChatBody parser = new ChatBody(1 << 20);

  private ObjectNode parse(String json) throws ChatBody.Invalid {
    ByteBuf buf = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
    try {
      return parser.parse(buf);
    } finally {
      buf.release();
    }
  }

  @Test
  void deepNestingIsRefusedWithoutStackOverflow() {
    assertThrows(ChatBody.Invalid.class, () -> parse("[".repeat(100_000)));
    assertThrows(ChatBody.Invalid.class, () -> parse("{\"a\":".repeat(65) + "1" + "}".repeat(65)));
  }

  @Test
  void nestingUpToTheLimitIsFine() throws Exception {
    parse("{\"a\":".repeat(63) + "1" + "}".repeat(63));
  }

  @Test
  void capsDefaultsAndPins() throws Exception {
    ObjectNode body = parse("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":5000}");
    assertFalse(ChatBody.normalise(body, ROUTE, true));
    assertEquals(TestConfigs.MAX_TOKENS_OUT, body.get("max_tokens").asInt());
    assertEquals("echo-2024-01-01", body.get("model").asText());

    body = parse("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":true,\"max_tokens\":null}");
    assertTrue(ChatBody.normalise(body, ROUTE, true));
    assertEquals(TestConfigs.MAX_TOKENS_OUT, body.get("max_tokens").asInt());

    body = parse("{\"messages\":[{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[]},"
        + "{\"role\":\"user\",\"content\":\"x\"}]}");
    ChatBody.normalise(body, ROUTE, true);
  }

  /**
   * OpenAI deprecated max_tokens and its reasoning models (o1, o3, o4-mini, gpt-5) refuse it: an
   * openai route's cap goes up as max_completion_tokens alone, the smaller of the two the caller
   * gave (as the budget prices it). Other routes get that cap as max_tokens, and as
   * max_completion_tokens too when the caller sent it.
   */
  @Test
  void anOpenAiRoutesCapIsMaxCompletionTokens() throws Exception {
    Route o3 = new Route("reasoner", "prod", new ProviderSpec(ProviderType.OPENAI, "o3-2025-04-16", Optional.of("K"),
        Optional.empty(), List.of(), Optional.empty(), 60_000), ROUTE.policy());
    for (String[] c : new String[][] {
        {"", String.valueOf(TestConfigs.MAX_TOKENS_OUT)},
        {",\"max_tokens\":5", "5"},
        {",\"max_tokens\":9,\"max_completion_tokens\":5", "5"},
        {",\"max_tokens\":5,\"max_completion_tokens\":9", "5"},
        {",\"max_completion_tokens\":7", "7"},
        {",\"max_tokens\":99999999", String.valueOf(TestConfigs.MAX_TOKENS_OUT)}}) {
      ObjectNode body = parse("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]" + c[0] + "}");
      ChatBody.normalise(body, o3, false);
      assertFalse(body.has("max_tokens"), c[0] + ": " + body);
      assertEquals(Integer.parseInt(c[1]), body.get("max_completion_tokens").asInt(), c[0]);
    }
    ObjectNode local = parse("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":5}");
    ChatBody.normalise(local, ROUTE, false);
    assertEquals(5, local.get("max_tokens").asInt());
    assertFalse(local.has("max_completion_tokens"));
    ObjectNode both = parse("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":9,"
        + "\"max_completion_tokens\":5}");
    ChatBody.normalise(both, ROUTE, false);
    assertEquals(5, both.get("max_tokens").asInt());
    assertEquals(5, both.get("max_completion_tokens").asInt());
  }

  @Test
  void modelMustBeTheRoutesOnRoutePaths() throws Exception {
    ObjectNode body = parse("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
    ChatBody.Invalid e = assertThrows(ChatBody.Invalid.class, () -> ChatBody.normalise(body, ROUTE, true));
    assertTrue(e.modelNotAllowed);
  }
}
