package dev.parapet.runtime.policy.redact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.parapet.core.config.RedactionMode;
import dev.parapet.core.config.RedactionPattern;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.store.EventKind;
import dev.parapet.core.store.EventRecord;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.policy.EnforcementEvents;
import dev.parapet.runtime.policy.PolicyRequests;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RedactionHandlerTest {
  private static final String ASK = "{\"messages\":[{\"role\":\"user\",\"content\":\"to a@example.com\"},"
      + "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"b@example.com\"}},"
      + "{\"type\":\"text\",\"text\":\"and c@example.com\"}]}]}";

  private static RedactionPolicy policy(RedactionMode mode) {
    return new RedactionPolicy(mode, List.of(RedactionPattern.EMAIL), false);
  }

  private static FullHttpResponse ok() {
    return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
  }

  @Test
  void warnScrubsEveryTextOnceAndStampsOnlyThisRequestsAnswer() throws Exception {
    List<EventRecord> events = new ArrayList<>();
    EmbeddedChannel ch = new EmbeddedChannel(new RedactionHandler(EnforcementEvents.into(events::add)));
    GatewayRequest r = PolicyRequests.request(ASK, 6000, policy(RedactionMode.WARN));
    ch.writeInbound(r);
    GatewayRequest forwarded = ch.readInbound();
    assertSame(r, forwarded);
    String body = forwarded.body().toString();
    assertEquals(2, body.split("\\[REDACTED:EMAIL]", -1).length - 1, body);
    assertFalse(body.contains("a@example.com") || body.contains("c@example.com"));
    assertEquals(true, body.contains("b@example.com"), "image urls are not message text");
    assertEquals(EventKind.REDACTED, events.get(0).kind());
    assertEquals(Map.of("EMAIL", "2"), events.get(0).details());

    ch.writeOutbound(ok());
    FullHttpResponse first = ch.readOutbound();
    assertEquals("2", first.headers().get(RedactionHandler.HEADER));
    first.release();
    ch.pipeline().fireUserEventTriggered(new RequestCompleted("id-1", Optional.of(r), 200, Optional.empty(),
        Optional.empty(), Optional.empty(), 0));
    ch.writeOutbound(ok());
    FullHttpResponse next = ch.readOutbound();
    assertNull(next.headers().get(RedactionHandler.HEADER));
    next.release();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void blockRefusesWithThePatternAndForwardsNothing() throws Exception {
    List<EventRecord> events = new ArrayList<>();
    EmbeddedChannel ch = new EmbeddedChannel(new RedactionHandler(EnforcementEvents.into(events::add)));
    ch.writeInbound(PolicyRequests.request(ASK, 6000, policy(RedactionMode.BLOCK)));
    assertNull(ch.readInbound());
    FullHttpResponse res = assertInstanceOf(FullHttpResponse.class, ch.readOutbound());
    assertEquals(422, res.status().code());
    String json = res.content().toString(java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(true, json.contains("EMAIL"));
    assertFalse(json.contains("example.com"));
    res.release();
    assertEquals(Map.of("pattern", "EMAIL"), events.get(0).details());
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void offForwardsUntouched() throws Exception {
    EmbeddedChannel ch = new EmbeddedChannel(new RedactionHandler(EnforcementEvents.NONE));
    ch.writeInbound(PolicyRequests.request(ASK, 6000, policy(RedactionMode.OFF)));
    GatewayRequest forwarded = ch.readInbound();
    assertEquals(true, forwarded.body().toString().contains("a@example.com"));
    assertFalse(ch.finishAndReleaseAll());
  }
}
