package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.netty.resolver.AddressResolver;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A resolver that hangs (an unreachable DNS server) while a flood of calls needs lookups: the
 * lookups waiting stay within {@link OffLoopResolver#MAX_WAITING}, those past it are refused at
 * once, and a call that needs one then gets 503 {@code unavailable} at once, not a 504 after its
 * route's timeout. A lookup that hangs is bounded by the connect timeout like the connect itself.
 */
class StuckResolverTest {
  private static final int TIMEOUT_MS = 10_000;

  @Test
  void aFloodOfLookupsOnAStuckResolverIsBoundedAndItsCallersAnswered() throws Exception {
    CountDownLatch stuck = new CountDownLatch(1);
    CountDownLatch held = new CountDownLatch(2);
    OffLoopResolver.beforeLookupForTest = () -> {
      held.countDown();
      try {
        stuck.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    DefaultEventLoop loop = new DefaultEventLoop();
    List<Future<InetSocketAddress>> lookups = new ArrayList<>();
    try (TestGateway gateway = new TestGateway(); ServerSocket provider = new ServerSocket(0)) {
      AddressResolver<InetSocketAddress> resolver = OffLoopResolver.GROUP.getResolver(loop);
      int flood = OffLoopResolver.MAX_WAITING * 3;
      for (int i = 0; i < flood; i++) {
        lookups.add(resolver.resolve(InetSocketAddress.createUnresolved("localhost", 80)));
      }
      assertTrue(held.await(10, TimeUnit.SECONDS), "the premise: both lookup threads are stuck");
      loop.submit(() -> null).sync(); // after the failures the resolver handed to its loop
      long refused = lookups.stream()
          .filter(f -> f.isDone() && f.cause() instanceof OffLoopResolver.LookupsBusyException).count();
      assertEquals(flood - OffLoopResolver.MAX_WAITING - 2, refused, "all but the stuck and the waiting are refused");
      assertEquals(OffLoopResolver.MAX_WAITING, OffLoopResolver.waiting());

      // a call through the gateway that needs a lookup now: refused at once, the SPEC shape, 503
      gateway.addRoute("r", URI.create("http://localhost:" + provider.getLocalPort() + "/v1"), TIMEOUT_MS);
      long start = System.nanoTime();
      HttpResponse<String> res = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
          HttpRequest.newBuilder(gateway.uri("r")).timeout(Duration.ofSeconds(30))
              .POST(HttpRequest.BodyPublishers.ofString(UpstreamProxyHandlerTest.ASK)).build(),
          HttpResponse.BodyHandlers.ofString());
      UpstreamProxyHandlerTest.assertRefusal(res, 503, "unavailable");
      assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS / 2), "refused at once");
    } finally {
      stuck.countDown();
      for (Future<InetSocketAddress> f : lookups) {
        f.await(30, TimeUnit.SECONDS); // the held ones finish, so no other test finds the line full
      }
      OffLoopResolver.beforeLookupForTest = null;
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
      LeakWatch.assertNoLeaks();
    }
  }

  /**
   * A lookup that never returns counts against the connect timeout, as the TCP connect after it
   * does: the call fails 502 {@code upstream_error} (nothing was sent, so nothing is charged)
   * within it, not 504 after the route's timeout, and its connection slot comes back at once,
   * so the next call on the same loop and origin, with a pool of one, is served.
   */
  @Test
  void aLookupThatHangsFailsWithinTheConnectTimeoutAndGivesItsSlotBack() throws Exception {
    int timeoutMs = 1_500;
    CountDownLatch stuck = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
    OffLoopResolver.beforeLookupForTest = () -> {
      if (first.getAndSet(false)) {
        try {
          stuck.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
    UpstreamClient onePerOrigin = new UpstreamClient(
        UpstreamTls.withExtraCa(java.util.Optional.empty()), 1, UpstreamClient.DEFAULT_IDLE_TIMEOUT);
    try (TestGateway gateway = new TestGateway(onePerOrigin, TestProviders.create(), r -> ExchangeObserver.NONE);
        FakeProvider provider = new FakeProvider(
            (req, c) -> c.full(200, "application/json", UpstreamProxyHandlerTest.OPENAI_ANSWER))) {
      gateway.addRoute("r", URI.create("http://localhost:" + provider.port() + "/v1"), timeoutMs);
      // One caller connection: both calls on one event loop, so on one pool of one connection.
      try (dev.parapet.runtime.testing.RawHttp caller = new dev.parapet.runtime.testing.RawHttp(gateway.port())) {
        long start = System.nanoTime();
        caller.send(rawPost(UpstreamProxyHandlerTest.ASK));
        dev.parapet.runtime.testing.RawHttp.Response hung = caller.read();
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(502, hung.status(), hung.body());
        assertTrue(hung.body().contains("\"code\":\"upstream_error\""), hung.body());
        assertTrue(tookMs < timeoutMs + 1_000, "failed within the connect timeout: " + tookMs + " ms");
        assertEquals(java.util.Optional.of(dev.parapet.runtime.http.ParapetError.UPSTREAM_ERROR),
            gateway.nextCompleted().error());

        caller.send(rawPost(UpstreamProxyHandlerTest.ASK));
        dev.parapet.runtime.testing.RawHttp.Response next = caller.read();
        assertEquals(200, next.status(), "the hung lookup gave its connection slot back: " + next.body());
        assertEquals(200, gateway.nextCompleted().status());
      }
    } finally {
      stuck.countDown();
      OffLoopResolver.beforeLookupForTest = null;
      LeakWatch.assertNoLeaks();
    }
  }

  private static String rawPost(String body) {
    return "POST /routes/r HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\ncontent-length: "
        + body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
  }
}
