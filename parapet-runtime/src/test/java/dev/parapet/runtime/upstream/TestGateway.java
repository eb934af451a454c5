package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.parapet.core.config.ParapetSpec;
import dev.parapet.core.config.Policy;
import dev.parapet.core.config.ProviderSpec;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.RedactionPolicy;
import dev.parapet.core.config.Route;
import dev.parapet.core.config.Service;
import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.seal.SecretValue;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.RequestCompleted;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The real UpstreamProxyHandler behind a stand-in for the front: HTTP codec, aggregator, and a
 * handler that turns {@code POST /routes/{name}} into a GatewayRequest, stops reading until the
 * request's RequestCompleted (as the front does), and records every RequestCompleted.
 */
final class TestGateway implements AutoCloseable {
  static final String KEY_REF = "TEST_PROVIDER_KEY";
  static final String PROVIDER_KEY = "sk-test-PROVIDERKEY-0123456789abcdef";
  static final String MODEL = "gpt-4o-2024-08-06";
  static final Service SERVICE = new Service("svc", "prod", List.of(), "SVC_TOKEN");

  final Map<String, Route> routes = new ConcurrentHashMap<>();
  final BlockingQueue<RequestCompleted> completed = new LinkedBlockingQueue<>();
  final List<Channel> children = new CopyOnWriteArrayList<>();
  final UpstreamClient client;
  private final EventLoopGroup group;
  private final Channel server;
  private final AtomicInteger ids = new AtomicInteger();

  TestGateway(UpstreamClient client, UpstreamProviders providers, Function<GatewayRequest, ExchangeObserver> observers)
      throws InterruptedException {
    this.client = client;
    HydratedConfig config = new HydratedConfig(
        new ParapetSpec(1, List.of(), List.of(), List.of(), List.of()),
        Map.of(KEY_REF, SecretValue.of(PROVIDER_KEY)), Map.of(), Map.of());
    group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    server = new ServerBootstrap()
        .group(group)
        .channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 << 10, 128 << 10)) // as Gateway
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            children.add(ch);
            ch.pipeline()
                .addLast(new HttpServerCodec())
                .addLast(new HttpObjectAggregator(1 << 20))
                .addLast(new Front())
                .addLast(new UpstreamProxyHandler(client, config, providers, observers));
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
  }

  TestGateway() throws InterruptedException {
    this(plainClient(), TestProviders.create(), r -> ExchangeObserver.NONE);
  }

  /**
   * Closes, from the gateway's side, the connection {@code caller} opened (as an idle timeout or a
   * shutdown would): the front reads nothing while a call is in flight, so a caller's own close is
   * seen only when the answer is written, while this one goes inactive at once.
   */
  void closeFromGatewaySide(Socket caller) throws InterruptedException {
    int callerPort = caller.getLocalPort();
    children.stream()
        .filter(ch -> ((InetSocketAddress) ch.remoteAddress()).getPort() == callerPort)
        .findFirst().orElseThrow()
        .close().sync();
  }

  static UpstreamClient plainClient() {
    return new UpstreamClient(UpstreamTls.withExtraCa(Optional.empty()), 256, UpstreamClient.DEFAULT_IDLE_TIMEOUT);
  }

  static Route route(String name, ProviderType type, Optional<URI> baseUrl, int timeoutMs) {
    return new Route(name, "prod",
        new ProviderSpec(type, MODEL, type == ProviderType.ECHO ? Optional.empty() : Optional.of(KEY_REF),
            baseUrl, List.of(), Optional.empty(), timeoutMs),
        new Policy(100_000, 100_000, BigDecimal.TEN, false, RedactionPolicy.OFF));
  }

  Route addRoute(String name, URI baseUrl, int timeoutMs) {
    Route r = route(name, ProviderType.OPENAI, Optional.of(baseUrl), timeoutMs);
    routes.put(name, r);
    return r;
  }

  URI uri(String route) {
    return URI.create("http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort() + "/routes/" + route);
  }

  /** A POST of {@code body} to {@code route}, with a 20 s timeout. */
  HttpRequest request(String route, String body) {
    return HttpRequest.newBuilder(uri(route)).timeout(Duration.ofSeconds(20))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /**
   * A small whole call on a fresh connection (so, call after call, on each loop in turn) is
   * answered 200 and completes: the loops serve other calls, e.g. while a large one waits for a
   * policy thread. Its route {@code r} must answer {@link UpstreamProxyHandlerTest#ASK}.
   */
  void assertSmallCallAnswered() throws Exception {
    try (Socket s = new Socket("127.0.0.1", port())) {
      s.setSoTimeout(5_000);
      UpstreamStreamingTest.rawPost(s.getOutputStream(), UpstreamProxyHandlerTest.ASK);
      StringBuilder got = new StringBuilder();
      byte[] buf = new byte[4096];
      InputStream in = s.getInputStream();
      for (int n = 0; !got.toString().contains("\"usage\"") && n >= 0; ) {
        n = in.read(buf);
        if (n > 0) {
          got.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
      }
      assertTrue(got.toString().startsWith("HTTP/1.1 200"), got.toString());
    }
    assertEquals(200, nextCompleted().status());
  }

  RequestCompleted nextCompleted() throws InterruptedException {
    RequestCompleted c = completed.poll(20, TimeUnit.SECONDS);
    if (c == null) {
      throw new AssertionError("no RequestCompleted within 20 s");
    }
    return c;
  }

  @Override
  public void close() {
    client.close();
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** The front's part, reduced: route lookup and one request at a time. */
  private final class Front extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
      String name = req.uri().substring("/routes/".length());
      Route route = routes.get(name);
      ObjectNode body = (ObjectNode) TestProviders.JSON.readTree(req.content().toString(StandardCharsets.UTF_8));
      ctx.channel().config().setAutoRead(false);
      ctx.fireChannelRead(new GatewayRequest("req-" + ids.incrementAndGet(), SERVICE, route, body,
          body.path("stream").asBoolean(false), HttpUtil.isKeepAlive(req), System.nanoTime()));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof RequestCompleted done) {
        completed.add(done);
        ctx.channel().config().setAutoRead(true);
      }
      ctx.fireUserEventTriggered(evt);
    }
  }
}
