package dev.parapet.runtime.policy.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.budget.PromptTokens;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.policy.PolicyRequests;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TokenLimitHandlerTest {
  private static String ask(String text) {
    return "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"" + text + "\"}]}]}";
  }

  @Test
  void admitsAtTheLimitAndRefusesAboveItNamingCountAndLimit() throws Exception {
    EmbeddedChannel ch = new EmbeddedChannel(new TokenLimitHandler());
    // "hi" is 1 token, + 4 framing + 3 priming = 8
    ch.writeInbound(PolicyRequests.request(ask("hi"), 8, RedactionPolicy.OFF));
    assertNotNull(ch.readInbound());
    ch.writeInbound(PolicyRequests.request(ask("hi hi"), 8, RedactionPolicy.OFF));
    assertNull(ch.readInbound());
    FullHttpResponse res = assertInstanceOf(FullHttpResponse.class, ch.readOutbound());
    assertEquals(400, res.status().code());
    String json = res.content().toString(StandardCharsets.UTF_8);
    assertTrue(json.contains("max_tokens_in_exceeded") && json.contains("9 tokens") && json.contains("max_tokens_in 8"), json);
    res.release();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void handsTheBudgetTheCountItMadeOrOnlyTheBoundOnceForThatRequest() throws Exception {
    EmbeddedChannel ch = new EmbeddedChannel(new TokenLimitHandler());
    // Near the limit: the bound of "hi" (3 + 4 + 2 bytes = 9) passes 8, so it is counted to decide.
    GatewayRequest near = PolicyRequests.request(ask("hi"), 8, RedactionPolicy.OFF);
    ch.writeInbound(near);
    assertNotNull(ch.readInbound());
    PromptTokens counted = TokenLimitHandler.takePrompt(ch, near).orElseThrow();
    assertTrue(counted.isCounted(), "the count made to decide is handed on, not made again");
    assertEquals(8, counted.exact());
    assertEquals(Optional.empty(), TokenLimitHandler.takePrompt(ch, near), "taken once");

    // Far below the limit: admitted on the bound alone, nothing counted yet.
    GatewayRequest far = PolicyRequests.request(ask("hi"), 6000, RedactionPolicy.OFF);
    ch.writeInbound(far);
    assertNotNull(ch.readInbound());
    GatewayRequest other = new GatewayRequest("id-2", far.service(), far.route(), far.body(), false, true, 0);
    assertEquals(Optional.empty(), TokenLimitHandler.takePrompt(ch, other), "never another request's prompt");

    ch.writeInbound(far);
    assertNotNull(ch.readInbound());
    PromptTokens bound = TokenLimitHandler.takePrompt(ch, far).orElseThrow();
    assertFalse(bound.isCounted());
    assertEquals(9, bound.upperBound());
    assertFalse(ch.finishAndReleaseAll());
  }
}
