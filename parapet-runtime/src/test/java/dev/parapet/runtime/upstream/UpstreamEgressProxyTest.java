package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.http.ParapetError;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslHandler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Provider connections through an egress proxy ({@link EgressProxy}), over real sockets: a
 * {@link ConnectProxy} on loopback tunnels {@code other.example} (never resolved by us: the proxy
 * "resolves" it to loopback) to an https {@link FakeProvider} whose certificate is for that name.
 */
class UpstreamEgressProxyTest {
  static final String USER = "proxy user";
  static final String PASSWORD = "PROXY-PW:s3cret@42/x";
  /** {@link #USER} and {@link #PASSWORD} percent-encoded, as a URL's user info must be. */
  static final String USER_INFO = "proxy%20user:PROXY-PW%3As3cret%4042%2Fx";

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private TestGateway gateway;

  @AfterEach
  void stop() throws InterruptedException {
    if (gateway != null) {
      gateway.close();
    }
    LeakWatch.assertNoLeaks();
  }

  private void startGateway(ConnectProxy proxy, String noProxy, int maxPerOrigin) throws Exception {
    startGateway(proxy, noProxy, maxPerOrigin, Duration.ofSeconds(30));
  }

  private void startGateway(ConnectProxy proxy, String noProxy, int maxPerOrigin, Duration idle) throws Exception {
    Optional<EgressProxy> egress = EgressProxy.parse("http://" + USER_INFO + "@127.0.0.1:" + proxy.port(), noProxy);
    gateway = new TestGateway(UpstreamClient.withExtraCa(Optional.of(UpstreamTlsTest.fixture("ca.pem")), egress,
        maxPerOrigin, idle), TestProviders.create(), r -> ExchangeObserver.NONE);
  }

  private HttpResponse<String> call(String route) throws Exception {
    return http.send(gateway.request(route, UpstreamProxyHandlerTest.ASK), HttpResponse.BodyHandlers.ofString());
  }

  private static FakeProvider provider(String certificate) throws Exception {
    return new FakeProvider(UpstreamTlsTest.serverTls(certificate),
        (req, c) -> c.full(200, "application/json", UpstreamProxyHandlerTest.OPENAI_ANSWER));
  }

  @Test
  void anHttpsCallGoesThroughATunnelNamingTheOriginWithBasicCredentialsAndTheTunnelIsReused() throws Exception {
    try (ConnectProxy proxy = new ConnectProxy(ConnectProxy.Mode.TUNNEL); FakeProvider provider = provider("other")) {
      startGateway(proxy, null, 8);
      gateway.addRoute("r", URI.create("https://other.example:" + provider.port() + "/v1"), 5_000);
      for (int i = 0; i < 2; i++) {
        HttpResponse<String> res = call("r");
        assertEquals(200, res.statusCode(), res.body());
        assertTrue(res.body().contains("\"content\":\"hi\""), res.body());
        assertEquals(200, gateway.nextCompleted().status());
      }
      ConnectProxy.Connect connect = proxy.connects.poll();
      assertEquals("CONNECT other.example:" + provider.port() + " HTTP/1.1", connect.requestLine());
      assertEquals("Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8)),
          connect.proxyAuthorization());
      // the second call rode the same tunnel: one CONNECT, one connection each side
      assertNull(proxy.connects.poll(), "a second CONNECT");
      assertEquals(1, proxy.connections.get());
      assertEquals(1, provider.connections.get());
      FakeProvider.Recorded first = provider.received.poll();
      assertEquals("other.example:" + provider.port(), first.headers().get("host"));
      assertEquals("Bearer " + TestGateway.PROVIDER_KEY, first.headers().get("authorization"));
      assertFalse(first.headers().containsKey("proxy-authorization"), "proxy credentials sent to the provider");
      assertEquals(1, provider.received.size());
      assertEquals(java.util.List.of(), proxy.errors);
    }
  }

  /**
   * The pool's idle time ({@code PARAPET_UPSTREAM_IDLE_MS}) is how long a connection may rest
   * between exchanges, not a deadline on opening one: a proxy slower to answer our CONNECT than a
   * short idle time (below the connect timeout) still gives a tunnel that carries the call.
   */
  @Test
  void aTunnelSlowerToOpenThanThePoolsIdleTimeStillCarriesTheCall() throws Exception {
    try (ConnectProxy proxy = new ConnectProxy(ConnectProxy.Mode.TUNNEL); FakeProvider provider = provider("other")) {
      proxy.answerDelayMillis = 1_000; // ten times the idle time, well within the 5 s connect timeout
      startGateway(proxy, null, 8, Duration.ofMillis(100));
      gateway.addRoute("r", URI.create("https://other.example:" + provider.port() + "/v1"), 5_000);
      HttpResponse<String> res = call("r");
      assertEquals(200, res.statusCode(), res.body());
      assertEquals(200, gateway.nextCompleted().status());
      assertEquals(1, proxy.connections.get());
      assertEquals(java.util.List.of(), proxy.errors);
    }
  }

  @Test
  void noProxyPlainHttpAndLoopbackOriginsConnectDirectly() throws Exception {
    try (ConnectProxy proxy = new ConnectProxy(ConnectProxy.Mode.TUNNEL);
        FakeProvider tls = provider("localhost");
        FakeProvider plain = new FakeProvider(
            (req, c) -> c.full(200, "application/json", UpstreamProxyHandlerTest.OPENAI_ANSWER))) {
      startGateway(proxy, " .invalid , Other.Example ", 8);
      gateway.addRoute("loopback-https", URI.create("https://localhost:" + tls.port() + "/v1"), 5_000);
      gateway.addRoute("loopback-http", URI.create("http://127.0.0.1:" + plain.port() + "/v1"), 5_000);
      assertEquals(200, call("loopback-https").statusCode());
      assertEquals(200, call("loopback-http").statusCode());
      assertEquals(1, tls.received.size());
      assertEquals(1, plain.received.size());
      // Direct, so looked up by us: these names do not resolve (RFC 6761, RFC 2606), and the proxy,
      // which would have tunnelled them to the provider, never hears of them.
      gateway.addRoute("no-proxy-suffix", URI.create("https://api.corp.invalid:" + tls.port() + "/v1"), 3_000);
      gateway.addRoute("no-proxy-name", URI.create("https://other.example:" + tls.port() + "/v1"), 3_000);
      gateway.addRoute("plain-http", URI.create("http://models.example:" + plain.port() + "/v1"), 3_000);
      for (String route : new String[] {"no-proxy-suffix", "no-proxy-name", "plain-http"}) {
        UpstreamProxyHandlerTest.assertRefusal(call(route), 502, "upstream_error");
      }
      assertEquals(0, proxy.connections.get(), proxy.connects.toString());
    }
  }

  @ParameterizedTest
  @EnumSource(value = ConnectProxy.Mode.class, names = {"REFUSE_407", "RESET", "HANG", "GARBAGE"})
  void aProxyThatDoesNotOpenTheTunnelIsAConnectFailureAndFreesTheSlot(ConnectProxy.Mode mode) throws Exception {
    try (ConnectProxy proxy = new ConnectProxy(mode); FakeProvider provider = provider("other")) {
      startGateway(proxy, null, 1); // one connection per origin: a slot kept would refuse the next call
      gateway.addRoute("r", URI.create("https://other.example:" + provider.port() + "/v1"), 1_000);
      HttpResponse<String> res = call("r");
      UpstreamProxyHandlerTest.assertRefusal(res, 502, "upstream_error");
      String all = res.headers().map() + res.body();
      assertFalse(all.contains(ConnectProxy.MARKER), all);
      assertFalse(all.contains("PROXY-PW"), all);
      assertFalse(all.contains("407"), all);
      assertEquals(Optional.of(ParapetError.UPSTREAM_ERROR), gateway.nextCompleted().error());
      assertEquals(0, provider.connections.get());
      assertEquals(1, proxy.connects.size());
      proxy.mode(ConnectProxy.Mode.TUNNEL);
      assertEquals(200, call("r").statusCode());
      assertEquals(200, gateway.nextCompleted().status());
    }
  }

  /**
   * Netty's proxy handler queues what is written before the proxy answers and releases it only if
   * the tunnel succeeds or fails through it: TLS must not write its first record into that queue.
   * So the connection has no TLS handler while the proxy has not answered, and gets one, right
   * after the proxy handler, once the tunnel is open; the handshake then completes through it.
   */
  @Test
  void tlsStartsOnlyOnceTheProxyHasOpenedTheTunnel() throws Exception {
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    EventLoop loop = group.next();
    Channel caller = new NioSocketChannel();
    try (ConnectProxy proxy = new ConnectProxy(ConnectProxy.Mode.HANG); FakeProvider provider = provider("other");
        UpstreamClient client = UpstreamClient.withExtraCa(Optional.of(UpstreamTlsTest.fixture("ca.pem")),
            EgressProxy.parse("http://" + USER_INFO + "@127.0.0.1:" + proxy.port(), null), 4, Duration.ofSeconds(30))) {
      loop.register(caller).sync();
      Origin origin = Origin.of(URI.create("https://other.example:" + provider.port() + "/v1/x"));
      OriginPool pool = loop.submit(() -> client.pool(loop, origin, caller)).get();

      OriginPool.Pending hanging = new OriginPool.Pending(loop);
      loop.execute(() -> pool.acquire(true, 10_000, hanging));
      assertTrue(proxy.connects.poll(5, TimeUnit.SECONDS) != null, "the proxy got the CONNECT");
      List<String> waiting = loop.submit(() -> hanging.opening().pipeline().names()).get();
      assertTrue(waiting.contains("proxy"), waiting.toString());
      assertFalse(waiting.contains("tls"), "TLS before the proxy answered: " + waiting);
      assertNull(loop.submit(() -> hanging.opening().pipeline().get(SslHandler.class)).get());

      proxy.mode(ConnectProxy.Mode.TUNNEL);
      OriginPool.Pending tunnelled = new OriginPool.Pending(loop);
      loop.execute(() -> pool.acquire(true, 10_000, tunnelled));
      Channel ch = tunnelled.get(5, TimeUnit.SECONDS).channel();
      List<String> names = loop.submit(() -> ch.pipeline().names()).get();
      assertEquals(names.indexOf("proxy") + 1, names.indexOf("tls"), names.toString());
      assertTrue(names.indexOf("tls") < names.indexOf("http"), names.toString());
      assertTrue(ch.pipeline().get(SslHandler.class).handshakeFuture().await(5, TimeUnit.SECONDS));
      assertTrue(ch.pipeline().get(SslHandler.class).handshakeFuture().isSuccess());
      loop.submit(() -> hanging.cancel(false)).get();
    } finally {
      caller.close().syncUninterruptibly();
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  @Test
  void aTunnelToAServerWithACertificateForAnotherNameFailsTheTlsCheck() throws Exception {
    try (ConnectProxy proxy = new ConnectProxy(ConnectProxy.Mode.TUNNEL); FakeProvider provider = provider("localhost")) {
      startGateway(proxy, null, 8);
      gateway.addRoute("r", URI.create("https://other.example:" + provider.port() + "/v1"), 5_000);
      UpstreamProxyHandlerTest.assertRefusal(call("r"), 502, "upstream_error");
      assertEquals("CONNECT other.example:" + provider.port() + " HTTP/1.1", proxy.connects.poll().requestLine());
      assertEquals(0, provider.received.size());
    }
  }
}
