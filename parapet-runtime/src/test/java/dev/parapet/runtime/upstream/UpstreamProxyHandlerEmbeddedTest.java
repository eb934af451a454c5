package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.RequestCompleted;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The handler alone: echo answers, pass-through of other messages, one completion. */
class UpstreamProxyHandlerEmbeddedTest {

  @Test
  void echoAnswersOnceAndPassesOtherMessages() throws Exception {
    List<RequestCompleted> events = new ArrayList<>();
    ChannelInboundHandlerAdapter recorder = new ChannelInboundHandlerAdapter() {
      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof RequestCompleted done) {
          events.add(done);
        }
      }
    };
    HydratedConfig config = new HydratedConfig(new ParapetSpec(1, List.of(), List.of(), List.of(), List.of()), Map.of(), Map.of(), Map.of());
    try (UpstreamClient client = TestGateway.plainClient()) {
      EmbeddedChannel ch = new EmbeddedChannel(recorder,
          new UpstreamProxyHandler(client, config, TestProviders.create(), r -> ExchangeObserver.NONE));

      GatewayRequest request = new GatewayRequest("id-1", TestGateway.SERVICE,
          TestGateway.route("demo", ProviderType.ECHO, Optional.empty(), 1000),
          (com.fasterxml.jackson.databind.node.ObjectNode) TestProviders.JSON.readTree(UpstreamProxyHandlerTest.ASK),
          false, true, System.nanoTime());
      ch.writeInbound(request);
      ch.writeInbound("not ours");

      FullHttpResponse res = assertInstanceOf(FullHttpResponse.class, ch.readOutbound());
      assertEquals(200, res.status().code());
      assertEquals("id-1", res.headers().get("x-parapet-request-id"));
      res.release();
      assertEquals("not ours", ch.readInbound());
      assertEquals(1, events.size());
      assertEquals("id-1", events.get(0).requestId());
      assertFalse(ch.finishAndReleaseAll());
    }
  }
}
