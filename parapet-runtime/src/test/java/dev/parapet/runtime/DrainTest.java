package dev.parapet.runtime;

import static dev.parapet.runtime.testing.GatewayFixture.post;
import static dev.parapet.runtime.testing.TestConfigs.TOKEN_A;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.boot.Settings;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import dev.parapet.runtime.testing.TestConfigs;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The graceful drain from the caller's side: an answer that was written but not yet read when the
 * drain starts (a slow reader, a large answer) reaches the caller whole; the drain does not cut it.
 */
class DrainTest {
  private static final String CHAT = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  private static final int ANSWER_BYTES = 4 << 20;

  /** Answers every request with {@link #ANSWER_BYTES} of JSON at once, then completes it. */
  private static ChannelHandler largeAnswers(CountDownLatch answered) {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof GatewayRequest request)) {
          ctx.fireChannelRead(msg);
          return;
        }
        byte[] json = new byte[ANSWER_BYTES];
        java.util.Arrays.fill(json, (byte) 'a');
        json[0] = '"';
        json[ANSWER_BYTES - 1] = '"';
        ByteBuf body = ctx.alloc().buffer(ANSWER_BYTES).writeBytes(json);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, ANSWER_BYTES);
        HttpUtil.setKeepAlive(r, request.keepAlive());
        ctx.writeAndFlush(r);
        ctx.pipeline().fireUserEventTriggered(new RequestCompleted(request.requestId(), Optional.of(request),
            200, Optional.empty(), Optional.empty(), Optional.empty(), System.nanoTime() - request.startNanos()));
        answered.countDown();
      }
    };
  }

  @Test
  void anAnswerStillBeingWrittenWhenTheDrainStartsReachesTheCallerWhole() throws Exception {
    LeakWatch.start();
    CountDownLatch answered = new CountDownLatch(1);
    Gateway gateway = new Gateway(
        Settings.defaults().withBind("127.0.0.1").withPort(0).withTimeouts(60_000, 10_000, 5_000),
        TestConfigs.front(), Stages.terminalOnly(() -> largeAnswers(answered)));
    int port = gateway.start();
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096); // a slow reader: most of the answer waits on our side
    socket.connect(new InetSocketAddress("127.0.0.1", port));
    try (RawHttp c = new RawHttp(socket)) {
      c.send(post("/routes/summarizer", TOKEN_A, CHAT));
      assertTrue(answered.await(5, TimeUnit.SECONDS));
      CompletableFuture<Void> closing = CompletableFuture.runAsync(gateway::close);
      Thread.sleep(300); // the drain has begun; nothing read yet
      assertFalse(closing.isDone(), "the drain waits for the answer to leave");
      RawHttp.Response r = c.read();
      assertEquals(200, r.status());
      assertEquals(ANSWER_BYTES, r.body().length(), "the whole answer arrived");
      assertTrue(c.closedByServer());
      closing.get(10, TimeUnit.SECONDS);
    } finally {
      gateway.close();
    }
    LeakWatch.assertNoLeaks();
  }
}
