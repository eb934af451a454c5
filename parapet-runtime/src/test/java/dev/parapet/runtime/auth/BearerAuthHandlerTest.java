package dev.parapet.runtime.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.parapet.core.config.Service;
import dev.parapet.runtime.http.Exchange;
import dev.parapet.runtime.testing.TestConfigs;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BearerAuthHandlerTest {
  private static final List<Service> SERVICES = TestConfigs.config().spec().services();
  private static final Map<String, String> DIGESTS = TestConfigs.config().serviceTokenDigests();

  @Test
  void tokenShapes() {
    assertArrayEquals("abc".getBytes(StandardCharsets.US_ASCII), BearerAuthHandler.tokenBytes("Bearer abc"));
    assertArrayEquals("abc".getBytes(StandardCharsets.US_ASCII), BearerAuthHandler.tokenBytes("BEARER  abc"));
    assertNull(BearerAuthHandler.tokenBytes("Bearer"));
    assertNull(BearerAuthHandler.tokenBytes("Bearerabc"));
    assertNull(BearerAuthHandler.tokenBytes("Bearer a\tb"));
    assertNull(BearerAuthHandler.tokenBytes("Bearer " + "a".repeat(513)));
    assertArrayEquals("a".repeat(512).getBytes(StandardCharsets.US_ASCII),
        BearerAuthHandler.tokenBytes("Bearer " + "a".repeat(512)));
  }

  @Test
  void everyDigestIsComparedEvenAfterAMatch() {
    List<String> seen = new ArrayList<>();
    BearerAuthHandler h = new BearerAuthHandler(SERVICES, DIGESTS, (presented, digest) -> {
      seen.add(digest);
      return TestConfigs.MATCHER.matches(presented, digest);
    }, 1 << 20);
    assertEquals("svc-a", h.authenticate(List.of("Bearer " + TestConfigs.TOKEN_A)).label());
    assertEquals(SERVICES.size(), seen.size());
  }

  @Test
  void unknownTokenIs401AndTheRequestIsReleased() {
    EmbeddedChannel ch = new EmbeddedChannel(new BearerAuthHandler(SERVICES, DIGESTS, TestConfigs.MATCHER, 1 << 20));
    Exchange.begin(ch, new Exchange("id1", System.nanoTime(), HttpMethod.GET, "/v1/models"));
    FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/v1/models");
    r.headers().set("Authorization", "Bearer nope");
    ch.writeInbound(r);
    assertEquals(0, r.refCnt());
    FullHttpResponse response = ch.readOutbound();
    assertEquals(401, response.status().code());
    assertEquals("id1", response.headers().get("x-parapet-request-id"));
    response.release();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void knownTokenGoesOnWithTheServiceRecorded() {
    EmbeddedChannel ch = new EmbeddedChannel(new BearerAuthHandler(SERVICES, DIGESTS, TestConfigs.MATCHER, 1 << 20));
    Exchange.begin(ch, new Exchange("id1", System.nanoTime(), HttpMethod.GET, "/v1/models"));
    FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/v1/models");
    r.headers().set("Authorization", "Bearer " + TestConfigs.TOKEN_B);
    ch.writeInbound(r);
    FullHttpRequest passed = ch.readInbound();
    passed.release();
    assertEquals("svc-b", Exchange.of(ch).get().service().get().label());
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void theReadOnlySurfacesGoPastWithoutABearerToken() {
    EmbeddedChannel ch = new EmbeddedChannel(new BearerAuthHandler(SERVICES, DIGESTS, TestConfigs.MATCHER, 1 << 20));
    Exchange.begin(ch, new Exchange("id1", System.nanoTime(), HttpMethod.GET, "/_parapet/usage?from=2026-01-01"));
    FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/_parapet/usage?from=2026-01-01");
    r.headers().set("Authorization", "Basic YWRtaW46eA==");
    ch.writeInbound(r);
    FullHttpRequest passed = ch.readInbound();
    assertEquals(r, passed);
    passed.release();
    assertNull(ch.readOutbound());
    assertFalse(ch.finishAndReleaseAll());
  }
}
