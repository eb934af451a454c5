package dev.parapet.runtime.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.parapet.runtime.http.ParapetError;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SseResponseTest {

  @Test
  void writesHeadEventsAndAnErrorEnding() {
    ChannelInboundHandlerAdapter holder = new ChannelInboundHandlerAdapter();
    EmbeddedChannel ch = new EmbeddedChannel(holder);
    ChannelHandlerContext ctx = ch.pipeline().context(holder);
    SseResponse sse = new SseResponse(ctx);
    sse.start(new DefaultHttpHeaders().set("x-parapet-request-id", "r1"), false);
    sse.event("{\"x\":1}");
    sse.fail(ParapetError.UPSTREAM_ERROR, "the provider closed", "r1");

    HttpResponse head = assertInstanceOf(HttpResponse.class, ch.readOutbound());
    assertEquals("text/event-stream", head.headers().get("content-type"));
    assertEquals("no-cache", head.headers().get("cache-control"));
    assertEquals("chunked", head.headers().get("transfer-encoding"));
    assertEquals("close", head.headers().get("connection"));
    assertEquals("r1", head.headers().get("x-parapet-request-id"));
    StringBuilder body = new StringBuilder();
    Object msg;
    while ((msg = ch.readOutbound()) != null) {
      HttpContent c = (HttpContent) msg;
      body.append(c.content().toString(StandardCharsets.UTF_8));
      boolean last = c instanceof LastHttpContent;
      c.release();
      if (last) {
        break;
      }
    }
    assertEquals("data: {\"x\":1}\n\n"
        + "data: {\"error\":{\"type\":\"parapet_error\",\"code\":\"upstream_error\",\"message\":\"the provider closed\",\"request_id\":\"r1\"}}\n\n"
        + "data: [DONE]\n\n", body.toString());
    assertFalse(ch.finishAndReleaseAll());
  }
}
