package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.provider.UpstreamCall;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The client and its pool, driven directly on one event loop. */
class UpstreamClientTest {
  private EventLoopGroup group;
  private EventLoop loop;
  private Channel caller;

  @BeforeEach
  void start() throws Exception {
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    loop = group.next();
    caller = new NioSocketChannel();
    loop.register(caller).sync();
  }

  @AfterEach
  void stop() throws InterruptedException {
    caller.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    LeakWatch.assertNoLeaks();
  }

  /** Completes with "status:body" or "failure:KIND". */
  static final class Result implements ExchangeListener {
    final CompletableFuture<String> done = new CompletableFuture<>();
    private final StringBuilder body = new StringBuilder();
    private int status;

    @Override
    public void onHead(HttpResponse head) {
      status = head.status().code();
    }

    @Override
    public void onContent(ByteBuf content) {
      body.append(content.toString(StandardCharsets.UTF_8));
    }

    @Override
    public void onEnd() {
      done.complete(status + ":" + body);
    }

    @Override
    public void onFailure(FailureReason reason) {
      done.complete("failure:" + reason.kind());
    }

    String await() throws Exception {
      return done.get(10, TimeUnit.SECONDS);
    }
  }

  static UpstreamCall call(FakeProvider provider) {
    return new UpstreamCall(URI.create("http://127.0.0.1:" + provider.port() + "/v1/x"), Map.of(), "{}".getBytes(StandardCharsets.UTF_8));
  }

  Result send(UpstreamClient client, UpstreamCall call, int timeoutMs) throws Exception {
    Result r = new Result();
    loop.submit(() -> client.send(caller, call, timeoutMs, true, r)).get();
    return r;
  }

  @Test
  void aPooledConnectionFoundClosedBeforeAnyByteWentIsReplacedOnce() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(200, "text/plain", "ok" + req.connection()));
        UpstreamClient client = new UpstreamClient(UpstreamTls.withExtraCa(Optional.empty()), 4, Duration.ofSeconds(30))) {
      UpstreamCall call = call(provider);
      assertEquals("200:ok1", send(client, call, 5_000).await());

      Result second = new Result();
      loop.submit(() -> {
        OriginPool pool = client.pool(loop, Origin.of(call.uri()), caller);
        Channel pooled = pool.idleChannels().get(0);
        ((SocketChannel) pooled).shutdownOutput(); // dead for writing, and we do not know it yet
        client.send(caller, call, 5_000, true, second);
      }).get();

      assertEquals("200:ok2", second.await());
      assertEquals(2, provider.connections.get());
      assertEquals(List.of(1, 2), provider.drain().stream().map(FakeProvider.Recorded::connection).toList());
    }
  }

  /** A tree body is written straight into the upstream channel's buffer, once per attempt, and released. */
  @Test
  void aJsonBodyIsSerializedIntoEachAttemptIncludingTheReplacement() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(200, "text/plain", "ok" + req.connection()));
        UpstreamClient client = new UpstreamClient(UpstreamTls.withExtraCa(Optional.empty()), 4, Duration.ofSeconds(30))) {
      com.fasterxml.jackson.databind.node.ObjectNode tree = TestProviders.JSON.createObjectNode();
      tree.put("model", "m").put("note", "caf\u00e9 \"q\"").putArray("messages").addObject().put("role", "user");
      UpstreamCall call = UpstreamCall.json(
          URI.create("http://127.0.0.1:" + provider.port() + "/v1/x"), Map.of("content-type", "application/json"), tree);
      String expected = TestProviders.JSON.writeValueAsString(tree);
      assertEquals("200:ok1", send(client, call, 5_000).await());

      Result second = new Result();
      loop.submit(() -> {
        Channel pooled = client.pool(loop, Origin.of(call.uri()), caller).idleChannels().get(0);
        ((SocketChannel) pooled).shutdownOutput();
        client.send(caller, call, 5_000, true, second);
      }).get();

      assertEquals("200:ok2", second.await());
      List<FakeProvider.Recorded> sent = provider.drain();
      assertEquals(List.of(expected, expected), sent.stream().map(FakeProvider.Recorded::body).toList());
      assertEquals(Integer.toString(expected.getBytes(StandardCharsets.UTF_8).length),
          sent.get(1).headers().get("content-length"));
      assertEquals(expected, new String(call.body(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void idleConnectionsCloseAfterTheIdleTimeout() throws Exception {
    CountDownLatch hungUp = new CountDownLatch(1);
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.full(200, "text/plain", "ok");
      if (c.awaitPeerClose()) {
        hungUp.countDown();
      }
      c.close = true;
    });
        UpstreamClient client = new UpstreamClient(UpstreamTls.withExtraCa(Optional.empty()), 4, Duration.ofMillis(300))) {
      assertEquals("200:ok", send(client, call(provider), 5_000).await());
      assertTrue(hungUp.await(5, TimeUnit.SECONDS));
    }
  }

  /** A provider that answers "ok" after {@code millis}. */
  private static FakeProvider slowProvider(long millis) throws Exception {
    return new FakeProvider((req, c) -> {
      Thread.sleep(millis);
      c.full(200, "text/plain", "ok");
    });
  }

  /** A client of one connection per origin (and so a line of four). */
  private static UpstreamClient poolOfOne() {
    return new UpstreamClient(UpstreamTls.withExtraCa(Optional.empty()), 1, Duration.ofSeconds(30));
  }

  @Test
  void atTheLimitCallsWaitForAConnectionAndBeyondTheLineAreRefused() throws Exception {
    try (FakeProvider provider = slowProvider(200); UpstreamClient client = poolOfOne()) {
      List<Result> results = new ArrayList<>();
      for (int i = 0; i < 6; i++) { // 1 in flight, 4 waiting (4 x max), 1 refused
        results.add(send(client, call(provider), 5_000));
      }
      assertEquals("failure:OVERLOADED", results.get(5).await());
      for (int i = 0; i < 5; i++) {
        assertEquals("200:ok", results.get(i).await());
      }
      assertEquals(1, provider.connections.get());
    }
  }

  /**
   * A provider that sends more than its answer's framing says (a Content-Length counted short: here
   * a whole second answer behind it, in the same packet) is out of step: the connection must not go
   * to the call waiting for it, which would take those bytes for its own answer before its request
   * was even sent.
   */
  @Test
  void bytesPastAnAnswerNeverReachTheCallWaitingForItsConnection() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      if (req.connection() == 1) {
        Thread.sleep(300); // the second call is in line for this connection meanwhile
        c.write("HTTP/1.1 200 X\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nok1"
            + "HTTP/1.1 200 X\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nstray");
      } else {
        c.full(200, "text/plain", "ok" + req.connection());
      }
    });
        UpstreamClient client = new UpstreamClient(UpstreamTls.withExtraCa(Optional.empty()), 1, Duration.ofSeconds(30))) {
      Result first = send(client, call(provider), 5_000);
      Result second = send(client, call(provider), 5_000);
      assertEquals("200:ok1", first.await());
      assertEquals("200:ok2", second.await());
      assertEquals(List.of(1, 2), provider.drain().stream().map(FakeProvider.Recorded::connection).toList());
    }
  }

  /**
   * Bytes past an answer that form no whole message (a Content-Length counted short, a 204 with a
   * body) stay in the connection's decoder, where the idle guard never sees them: the connection
   * must not serve another call, neither the next one in line nor a later one, which would read
   * them as the start of its own answer.
   */
  @Test
  void partOfAMessagePastAnAnswerRetiresTheConnection() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      switch (req.connection()) {
        case 1 -> c.write("HTTP/1.1 200 X\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nok1xyz");
        case 2 -> c.write("HTTP/1.1 204 X\r\ncontent-length: 5\r\n\r\nhello");
        case 3 -> c.write("HTTP/1.1 200 X\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nok3"
            + "HTTP/1.1 200 X\r\ncontent-length: 5\r\n");
        default -> c.full(200, "text/plain", "ok" + req.connection());
      }
    });
        UpstreamClient client = new UpstreamClient(UpstreamTls.withExtraCa(Optional.empty()), 1, Duration.ofSeconds(30))) {
      assertEquals("200:ok1", send(client, call(provider), 5_000).await()); // then at rest, "xyz" in its decoder
      assertEquals("204:", send(client, call(provider), 5_000).await());
      assertEquals("200:ok3", send(client, call(provider), 5_000).await());
      assertEquals("200:ok4", send(client, call(provider), 5_000).await());
      assertEquals(List.of(1, 2, 3, 4), provider.drain().stream().map(FakeProvider.Recorded::connection).toList());
    }
  }

  /** The same, for the call waiting in line for the connection (it gets a new one). */
  @Test
  void partOfAMessagePastAnAnswerNeverReachesTheCallWaitingForItsConnection() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      if (req.connection() == 1) {
        Thread.sleep(300); // the second call is in line for this connection meanwhile
        c.write("HTTP/1.1 200 X\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nok1xyz");
      } else {
        c.full(200, "text/plain", "ok" + req.connection());
      }
    });
        UpstreamClient client = new UpstreamClient(UpstreamTls.withExtraCa(Optional.empty()), 1, Duration.ofSeconds(30))) {
      Result first = send(client, call(provider), 5_000);
      Result second = send(client, call(provider), 5_000);
      assertEquals("200:ok1", first.await());
      assertEquals("200:ok2", second.await());
      assertEquals(List.of(1, 2), provider.drain().stream().map(FakeProvider.Recorded::connection).toList());
    }
  }

  /**
   * A call whose timeout passes while it waits in line for a connection sent nothing: it is refused
   * as the line refuses (503 unavailable, nothing charged), not timed out as if the provider were
   * slow (504, charged its worst case), whichever of the two deadlines comes first.
   */
  @Test
  void aCallWhoseTimeoutPassesInLineIsRefusedNotTimedOut() throws Exception {
    try (FakeProvider provider = slowProvider(1_000); UpstreamClient client = poolOfOne()) {
      Result first = send(client, call(provider), 5_000);
      Result waiting = send(client, call(provider), 300);
      assertEquals("failure:OVERLOADED", waiting.await());
      assertEquals("200:ok", first.await());
      assertEquals(1, provider.drain().size(), "the waiting call sent nothing");
    }
  }

  /** A call that stops while in line (its caller left) gives its place up at once, to the next caller. */
  @Test
  void aCallStoppedInLineLeavesTheLine() throws Exception {
    try (FakeProvider provider = slowProvider(500); UpstreamClient client = poolOfOne()) {
      Result first = send(client, call(provider), 5_000);
      for (int i = 0; i < 4; i++) { // fill the line of four, each caller gone before its turn
        loop.submit(() -> client.send(caller, call(provider), 5_000, true, new Result()).abort()).get();
      }
      Result next = send(client, call(provider), 5_000);
      assertEquals("200:ok", first.await());
      assertEquals("200:ok", next.await());
      assertEquals(2, provider.drain().size(), "the stopped calls sent nothing");
    }
  }

  /**
   * A server that says how long it keeps an idle connection ({@code Keep-Alive: timeout=N}, as
   * llama.cpp's server and Apache httpd do) closes it then, perhaps as our next call is written
   * into it, which fails that call: the connection is not lent once N less a second has passed, and
   * not kept at all when that leaves nothing. A longer timeout keeps it.
   */
  @Test
  void aConnectionIsNotLentPastTheIdleTimeItsServerAnnounced() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> c.full(200, "text/plain", "ok" + req.connection(),
        req.target().endsWith("/one") ? "keep-alive: timeout=1"
            : req.target().endsWith("/two") ? "Keep-Alive: max=100, timeout=2"
            : req.target().endsWith("/eleven") ? "keep-alive: timeout=11" : "keep-alive: timeout=60, max=100"));
        UpstreamClient client = new UpstreamClient(UpstreamTls.withExtraCa(Optional.empty()), 4, Duration.ofSeconds(30))) {
      String base = "http://127.0.0.1:" + provider.port() + "/v1/";
      UpstreamCall sixty = new UpstreamCall(URI.create(base + "sixty"), Map.of(), "{}".getBytes(StandardCharsets.UTF_8));
      UpstreamCall one = new UpstreamCall(URI.create(base + "one"), Map.of(), "{}".getBytes(StandardCharsets.UTF_8));
      UpstreamCall two = new UpstreamCall(URI.create(base + "two"), Map.of(), "{}".getBytes(StandardCharsets.UTF_8));
      UpstreamCall eleven = new UpstreamCall(URI.create(base + "eleven"), Map.of(), "{}".getBytes(StandardCharsets.UTF_8));

      assertEquals("200:ok1", send(client, sixty, 5_000).await());
      assertEquals("200:ok1", send(client, one, 5_000).await()); // kept 60 s: reused
      assertEquals("200:ok2", send(client, eleven, 5_000).await()); // 1 s less a second: closed at once
      assertEquals("200:ok2", send(client, sixty, 5_000).await()); // within the 10 s of timeout=11
      assertEquals("200:ok2", send(client, two, 5_000).await());
      Thread.sleep(1_100); // the clock under test: past timeout=2 less the margin
      assertEquals("200:ok3", send(client, sixty, 5_000).await());
      assertEquals(3, provider.connections.get());
    }
  }

  @Test
  void anAnswerWithoutKeepAliveIsNotPooled() throws Exception {
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.full(200, "text/plain", "ok", "connection: close");
      c.close = true;
    });
        UpstreamClient client = new UpstreamClient(UpstreamTls.withExtraCa(Optional.empty()), 4, Duration.ofSeconds(30))) {
      assertEquals("200:ok", send(client, call(provider), 5_000).await());
      assertEquals("200:ok", send(client, call(provider), 5_000).await());
      assertEquals(2, provider.connections.get());
    }
  }

  /** The pool metrics' origin label: scheme://host:port, the port always written, nothing of the path. */
  @Test
  void originLabelIsSchemeHostAndPort() {
    assertEquals("https://api.openai.com:443", Origin.of(URI.create("https://API.openai.com/v1")).label());
    assertEquals("http://127.0.0.1:8080", Origin.of(URI.create("http://127.0.0.1:8080/v1/")).label());
    assertEquals("http://[::1]:80", Origin.of(URI.create("http://[::1]/x")).label());
    PoolStats stats = new PoolStats();
    stats.expect(URI.create("https://api.anthropic.com"));
    stats.expect(URI.create("https://api.anthropic.com:443/other"));
    assertEquals(List.of("https://api.anthropic.com:443"), stats.origins().stream().map(PoolStats.OfOrigin::origin).toList(),
        "two routes on one origin share its series");
  }
}
