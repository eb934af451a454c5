package dev.parapet.runtime.policy.tokens;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.runtime.policy.PolicyRequests;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import java.nio.charset.StandardCharsets;
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
}
