package dev.parapet.runtime.http1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.RequestCompleted;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestSanityHandlerTest {
  private final List<Object> events = new ArrayList<>();

  private EmbeddedChannel channel() {
    return new EmbeddedChannel(new RequestSanityHandler(), new ChannelInboundHandlerAdapter() {
      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        events.add(evt);
      }
    });
  }

  private static FullHttpRequest request() {
    FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
    r.headers().set("Host", "a");
    return r;
  }

  @Test
  void aCleanRequestPassesThrough() {
    EmbeddedChannel ch = channel();
    ch.writeInbound(request());
    FullHttpRequest passed = ch.readInbound();
    passed.release();
    assertNull(ch.readOutbound());
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void headerOverflowIs431AndCloses() {
    EmbeddedChannel ch = channel();
    FullHttpRequest bad = request();
    bad.setDecoderResult(DecoderResult.failure(new TooLongHttpHeaderException("x")));
    ch.writeInbound(bad);
    FullHttpResponse response = ch.readOutbound();
    assertEquals(431, response.status().code());
    response.release();
    assertFalse(ch.isActive());
    assertEquals(1, events.stream().filter(RequestCompleted.class::isInstance).count());
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void lengthAndChunkedTogetherIs400AndLaterMessagesAreReleased() {
    EmbeddedChannel ch = channel();
    FullHttpRequest bad = request();
    bad.headers().set("Content-Length", "3").set("Transfer-Encoding", "chunked");
    FullHttpRequest later = request();
    ch.writeInbound(bad, later);
    FullHttpResponse response = ch.readOutbound();
    assertEquals(400, response.status().code());
    assertTrue(response.content().toString(java.nio.charset.StandardCharsets.UTF_8).contains("invalid_request"));
    response.release();
    assertNull(ch.readInbound());
    assertEquals(0, later.refCnt());
    assertFalse(ch.finishAndReleaseAll());
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"Transfer_Encoding", "Content_Length", "Transfer---Encoding",
      "content.length", "X-Transfer-Encoding"})
  void aNameDisguisedAsAFramingFieldIs400(String name) {
    FullHttpRequest r = request();
    r.headers().set(name, "chunked");
    boolean disguised = !name.startsWith("X-");
    assertEquals(disguised ? "a header name disguised as Content-Length or Transfer-Encoding" : null,
        RequestSanityHandler.framingProblem(r));
    r.release();
  }

  @Test
  void aBodyOnAGetOrHeadIs400ButAZeroLengthIsFine() {
    FullHttpRequest get = request();
    get.headers().set("Content-Length", "5");
    assertEquals("a body on a GET or HEAD request", RequestSanityHandler.framingProblem(get));
    get.headers().set("Content-Length", "0");
    assertNull(RequestSanityHandler.framingProblem(get));
    get.headers().remove("Content-Length").set("Transfer-Encoding", "chunked");
    assertEquals("a body on a GET or HEAD request", RequestSanityHandler.framingProblem(get));
    get.release();
  }
}
