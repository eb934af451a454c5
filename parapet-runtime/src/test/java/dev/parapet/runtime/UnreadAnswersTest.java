package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.boot.Settings;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RecordingTerminal;
import dev.parapet.runtime.testing.TestConfigs;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A caller that pipelines requests answered from their head alone (anonymous health checks) and
 * never reads the answers must not make the gateway read on and queue answers without bound: it
 * stops reading that connection at the write high-water mark, and resumes, in order, once the
 * caller reads.
 */
class UnreadAnswersTest {
  /** An answer larger than any loopback socket buffers can hold, so part of it waits in ours. */
  private static final int ANSWER_BYTES = 8 << 20;
  private static final int REQUESTS = 40_000; // ~10 MB of answers: more than the loopback socket buffers
  /** The write high-water mark Gateway sets (128 KiB) plus one answer, with room to spare. */
  private static final long MAX_QUEUED_ANSWER_BYTES = 256 * 1024;

  /** Watches each request's completion: how many, and the answer bytes queued unsent at that moment. */
  private static final class Watch {
    final AtomicInteger completed = new AtomicInteger();
    final AtomicLong maxQueued = new AtomicLong();
    final AtomicReference<Channel> channel = new AtomicReference<>();

    ChannelInboundHandlerAdapter handler() {
      return new ChannelInboundHandlerAdapter() {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
          if (evt instanceof RequestCompleted) {
            channel.set(ctx.channel());
            ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
            long queued = out == null ? 0 : out.totalPendingWriteBytes();
            maxQueued.accumulateAndGet(queued, Math::max);
            completed.incrementAndGet();
          }
          ctx.fireUserEventTriggered(evt);
        }
      };
    }
  }

  private static Gateway start(Settings settings, Watch watch) throws Exception {
    return start(settings, watch, new RecordingTerminal());
  }

  private static Gateway start(Settings settings, Watch watch, RecordingTerminal terminal) throws Exception {
    LeakWatch.start();
    Stages stages = new Stages(List.of(), terminal::newHandler, List.of(), List.of(watch::handler),
        Optional.empty(), List.of(), List.of());
    Gateway gateway = new Gateway(settings.withBind("127.0.0.1").withPort(0), TestConfigs.front(), stages);
    gateway.start();
    return gateway;
  }

  private static Socket connect(Gateway gateway) throws Exception {
    Socket s = new Socket();
    s.setReceiveBufferSize(4096); // before connect, so the window stays small
    s.connect(new InetSocketAddress("127.0.0.1", gateway.port()), 5000);
    return s;
  }

  /**
   * Sends {@value #REQUESTS} pipelined health checks from another thread (once the gateway stops
   * reading, that write blocks) and polls until the gateway stopped reading with answers unsent,
   * or (unbounded) answered everything.
   */
  private static CompletableFuture<Void> flood(Socket s, Watch watch) throws Exception {
    byte[] one = "GET /_parapet/health HTTP/1.1\r\nHost: p\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = new byte[one.length * REQUESTS];
    for (int i = 0; i < REQUESTS; i++) {
      System.arraycopy(one, 0, all, i * one.length, one.length);
    }
    CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
      try {
        s.getOutputStream().write(all);
        s.getOutputStream().flush();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!pausedOnUnreadAnswers(watch.channel.get()) && watch.completed.get() < REQUESTS
        && (watch.channel.get() == null || watch.channel.get().isActive())) {
      assertTrue(System.nanoTime() < deadline, "neither paused nor done: " + watch.completed.get() + " answered");
      Thread.sleep(5); // a poll: the condition above is the synchronisation
    }
    return sender;
  }

  @Test
  void answersTheCallerDoesNotReadStopTheReadingOfItsNextRequests() throws Exception {
    Watch watch = new Watch();
    Gateway gateway = start(Settings.defaults(), watch);
    try (Socket s = connect(gateway)) {
      CompletableFuture<Void> sender = flood(s, watch);
      assertTrue(watch.completed.get() < REQUESTS,
          "all " + REQUESTS + " requests were read and answered while the caller read none");
      assertTrue(watch.maxQueued.get() <= MAX_QUEUED_ANSWER_BYTES,
          "answer bytes queued unsent: " + watch.maxQueued.get());

      // The caller reads now: every request is answered, in order, none lost.
      InputStream in = new java.io.BufferedInputStream(s.getInputStream(), 1 << 16);
      byte[] status = "HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.ISO_8859_1);
      int answers = 0;
      int matched = 0;
      while (answers < REQUESTS) {
        int b = in.read();
        assertTrue(b >= 0, "closed after " + answers + " answers");
        matched = b == status[matched] ? matched + 1 : (b == status[0] ? 1 : 0);
        if (matched == status.length) {
          answers++;
          matched = 0;
        }
      }
      sender.get(60, TimeUnit.SECONDS);
      assertEquals(REQUESTS, answers);
    } finally {
      gateway.close();
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * Paused only because the caller reads nothing, and it sends nothing either: once it has taken no
   * byte of its answers for the idle timeout, it is closed.
   */
  @Test
  void aCallerThatTakesNoneOfItsAnswersForTheIdleTimeoutIsClosed() throws Exception {
    Watch watch = new Watch();
    Gateway gateway = start(Settings.defaults().withTimeouts(300, 10_000, 5_000), watch);
    try (Socket s = connect(gateway)) {
      flood(s, watch);
      assertTrue(watch.channel.get().closeFuture().await(30, TimeUnit.SECONDS), "the stalled connection is still open");
      assertTrue(watch.completed.get() < REQUESTS, watch.completed.get() + " answered");
    } finally {
      gateway.close();
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * The other side of that timeout: an answer larger than the socket buffers, complete on our side
   * (nothing in flight) and read slowly but steadily, for several idle timeouts, is not cut. The
   * idle timeout measures the caller's silence; here the caller keeps taking bytes.
   */
  @Test
  void aLargeAnswerReadSlowlyButSteadilyIsNotCut() throws Exception {
    Watch watch = new Watch();
    RecordingTerminal terminal = new RecordingTerminal();
    terminal.padBytes = ANSWER_BYTES; // twice the largest loopback send buffer Linux grows to (4 MiB)
    // One second: the kernel frees our send buffer in steps of a third of it (~1.3 MiB), so a
    // caller must read faster than that per timeout for us to see it take anything.
    Gateway gateway = start(Settings.defaults().withTimeouts(1_000, 10_000, 5_000), watch, terminal);
    try (Socket s = new Socket("127.0.0.1", gateway.port())) { // the default receive buffer: reads of up to 64 KiB
      long started = System.nanoTime();
      // ~2.5 MiB/s: the answer takes over 3 s, three idle timeouts, with bytes taken every 25 ms.
      long total = askAndReadSlowly(s, ANSWER_BYTES);
      assertTrue(total >= ANSWER_BYTES, "the answer was cut after " + total + " bytes");
      assertTrue(System.nanoTime() - started > TimeUnit.MILLISECONDS.toNanos(2_000),
          "the answer was not read slowly enough to test anything");
      assertEquals(1, watch.completed.get());
    } finally {
      gateway.close();
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * An answer of which more is written after the connection went unwritable (a stream's events
   * after the one that crossed the high-water mark, a large event back from a policy thread), then
   * completed: the caller takes bytes steadily, but fewer per idle timeout than were added after
   * that point. The bytes still to send are then more than when the watch began, yet the caller
   * took some: it is not cut.
   */
  @Test
  void bytesWrittenAfterTheConnectionWentUnwritableDoNotHideTheCallersProgress() throws Exception {
    Watch watch = new Watch();
    int first = 512 << 10; // crosses the high-water mark: the watch starts with this much unsent
    int second = 12 << 20; // written at once after it, more than the caller reads in one timeout
    java.util.function.Supplier<io.netty.channel.ChannelHandler> twoWrites = () -> new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof GatewayRequest request)) {
          ctx.fireChannelRead(msg);
          return;
        }
        io.netty.handler.codec.http.HttpResponse head = new io.netty.handler.codec.http.DefaultHttpResponse(
            io.netty.handler.codec.http.HttpVersion.HTTP_1_1, io.netty.handler.codec.http.HttpResponseStatus.OK);
        io.netty.handler.codec.http.HttpUtil.setContentLength(head, (long) first + second);
        ctx.write(head);
        ctx.write(new io.netty.handler.codec.http.DefaultHttpContent(
            ctx.alloc().buffer(first).writeZero(first)));
        ctx.writeAndFlush(new io.netty.handler.codec.http.DefaultLastHttpContent(
            ctx.alloc().buffer(second).writeZero(second)));
        ctx.pipeline().fireUserEventTriggered(new RequestCompleted(request.requestId(), Optional.of(request),
            200, Optional.empty(), Optional.empty(), Optional.empty(), System.nanoTime() - request.startNanos()));
      }
    };
    LeakWatch.start();
    Stages stages = new Stages(List.of(), twoWrites, List.of(), List.of(watch::handler),
        Optional.empty(), List.of(), List.of());
    Gateway gateway = new Gateway(Settings.defaults().withTimeouts(1_000, 10_000, 5_000)
        .withBind("127.0.0.1").withPort(0), TestConfigs.front(), stages);
    gateway.start();
    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(64 << 10); // before connect: the kernel holds little of the answer on this side
      s.connect(new InetSocketAddress("127.0.0.1", gateway.port()), 5000);
      // ~2.5 MiB/s: about 2.5 MiB per idle timeout, well under the 12 MiB added after the watch began.
      long total = askAndReadSlowly(s, (long) first + second);
      assertTrue(total >= (long) first + second, "the answer was cut after " + total + " bytes");
      assertEquals(1, watch.completed.get());
    } finally {
      gateway.close();
    }
    LeakWatch.assertNoLeaks();
  }

  /**
   * Posts a chat call on {@code s}, then reads up to {@code bytes} of what comes back, 64 KiB at
   * most every 25 ms (~2.5 MiB/s); what it read, less if the connection closed first.
   */
  private static long askAndReadSlowly(Socket s, long bytes) throws Exception {
    String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    s.getOutputStream().write(("POST /routes/summarizer HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer "
        + TestConfigs.TOKEN_A + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
        + "\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
    InputStream in = s.getInputStream();
    byte[] chunk = new byte[64 * 1024];
    long total = 0;
    int n;
    while ((n = in.read(chunk)) > 0) {
      total += n;
      if (total >= bytes) {
        break;
      }
      Thread.sleep(25); // the slow reader under test, not synchronisation
    }
    return total;
  }

  private static boolean pausedOnUnreadAnswers(Channel channel) throws Exception {
    if (channel == null) {
      return false;
    }
    // Read on the connection's own event loop, where its state changes.
    return channel.isActive() && channel.eventLoop()
        .submit(() -> !channel.isWritable() && !channel.config().isAutoRead())
        .get(10, TimeUnit.SECONDS);
  }
}
