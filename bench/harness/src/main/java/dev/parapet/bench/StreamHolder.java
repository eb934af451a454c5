package dev.parapet.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * bench/run's concurrency scenario: opens {@code --streams} streaming chat calls through Parapet
 * (at most {@code --parallel} still waiting for their first byte at a time), holds them open,
 * and meanwhile probes {@code GET /_parapet/health} every {@code --probe-interval-ms} on one
 * keep-alive connection: a probe slower than 10 ms means an event loop was stalled (or the box
 * was starved; the probe cannot tell which, so read it with the CPU caveat in bench/README.md).
 *
 * <p>Prints {@code OPENED} and {@code HELD}; probes {@code --settle-s} while the gateway digests the
 * burst of opening ({@code SETTLE}), then {@code --probe-s} of the steady hold ({@code PROBE};
 * bench/run samples memory after it), lingers {@code --linger-s}, prints {@code DONE} and exits.
 */
public final class StreamHolder {
  private StreamHolder() {}

  public static void main(String[] args) throws Exception {
    String host = "127.0.0.1";
    int port = 8000;
    String token = "";
    String model = "bench-slow";
    int streams = 5000;
    int parallel = 256;
    long openTimeoutS = 120;
    long probeS = 10;
    long probeIntervalMs = 20;
    long lingerS = 15;
    long settleS = 10;
    int promptChars = 0;
    for (int i = 0; i < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--host" -> host = v;
        case "--port" -> port = Integer.parseInt(v);
        case "--token" -> token = v;
        case "--model" -> model = v;
        case "--streams" -> streams = Integer.parseInt(v);
        case "--parallel" -> parallel = Integer.parseInt(v);
        case "--open-timeout-s" -> openTimeoutS = Long.parseLong(v);
        case "--probe-s" -> probeS = Long.parseLong(v);
        case "--probe-interval-ms" -> probeIntervalMs = Long.parseLong(v);
        case "--linger-s" -> lingerS = Long.parseLong(v);
        case "--settle-s" -> settleS = Long.parseLong(v);
        case "--prompt-chars" -> promptChars = Integer.parseInt(v);
        default -> {
          System.err.println("StreamHolder: unknown option " + args[i]);
          System.exit(2);
        }
      }
    }
    // --prompt-chars adds a system message of that many chars of prose, so the footprint of a
    // stream with a long prompt (a history, a document) can be measured too.
    String history = promptChars <= 0 ? ""
        : "{\"role\":\"system\",\"content\":\"" + prose(promptChars) + "\"},";
    byte[] body = ("{\"model\":\"" + model + "\",\"stream\":true,\"max_tokens\":256,\"messages\":[" + history
        + "{\"role\":\"user\",\"content\":\"Hold this stream open for the concurrency benchmark.\"}]}")
        .getBytes(StandardCharsets.UTF_8);

    Counters c = new Counters();
    boolean epoll = Epoll.isAvailable();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
        epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    String hostHeader = host + ":" + port;
    String auth = "Bearer " + token;
    Bootstrap b = new Bootstrap().group(group)
        .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpClientCodec(), new StreamHandler(c));
          }
        })
        .remoteAddress(new InetSocketAddress(host, port));

    long t0 = System.nanoTime();
    long deadline = t0 + openTimeoutS * 1_000_000_000L;
    int started = 0;
    while (c.opened.get() + c.failed.get() < streams && System.nanoTime() < deadline) {
      int waiting = started - c.opened.get() - c.failed.get();
      if (started < streams && waiting < parallel) {
        started++;
        b.connect().addListener(f -> {
          if (!f.isSuccess()) {
            c.failed.incrementAndGet();
            return;
          }
          Channel ch = ((io.netty.channel.ChannelFuture) f).channel();
          FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
              "/v1/chat/completions", Unpooled.wrappedBuffer(body));
          req.headers().set(HttpHeaderNames.HOST, hostHeader)
              .set(HttpHeaderNames.AUTHORIZATION, auth)
              .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
              .set(HttpHeaderNames.ACCEPT, "text/event-stream")
              .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
          ch.writeAndFlush(req);
        });
      } else {
        Thread.sleep(1);
      }
    }
    long openMs = (System.nanoTime() - t0) / 1_000_000;
    System.out.printf(Locale.ROOT, "OPENED %d failed %d in %d ms%n", c.opened.get(), c.failed.get(), openMs);
    System.out.printf(Locale.ROOT, "HELD %d%n", c.opened.get() - c.ended.get());
    System.out.flush();

    // The burst of opening (5,000 connections in a few seconds) leaves the gateway's collector
    // a few seconds of promoting their state; probed and reported apart from the hold.
    if (settleS > 0) {
      long[] settle = probe(host, port, settleS, probeIntervalMs);
      Arrays.sort(settle);
      System.out.printf(Locale.ROOT, "SETTLE n %d p50_us %d p99_us %d max_us %d over10ms %d%n", settle.length,
          pct(settle, 50) / 1000, pct(settle, 99) / 1000, settle.length == 0 ? 0 : settle[settle.length - 1] / 1000,
          Arrays.stream(settle).filter(l -> l > 10_000_000L).count());
      System.out.flush();
    }
    long chunksBefore = c.chunks.get();
    long probeStart = System.nanoTime();
    java.time.Instant probeFrom = java.time.Instant.now();
    long[] lat = probe(host, port, probeS, probeIntervalMs);
    System.err.printf(Locale.ROOT, "PROBE window %s %s%n", probeFrom, java.time.Instant.now());
    double probeSecs = (System.nanoTime() - probeStart) / 1e9;
    long chunkRate = Math.round((c.chunks.get() - chunksBefore) / probeSecs);
    int over10 = 0;
    for (long l : lat) {
      if (l > 10_000_000L) {
        over10++;
      }
    }
    Arrays.sort(lat);
    System.out.printf(Locale.ROOT,
        "PROBE n %d p50_us %d p99_us %d max_us %d over10ms %d still_open %d chunks_per_s %d ended_early %d%n",
        lat.length, pct(lat, 50) / 1000, pct(lat, 99) / 1000, lat.length == 0 ? 0 : lat[lat.length - 1] / 1000,
        over10, c.opened.get() - c.ended.get(), chunkRate, c.ended.get());
    System.out.flush();
    Thread.sleep(lingerS * 1000);
    System.out.printf(Locale.ROOT, "DONE opened %d failed %d ended %d non200 %d%n",
        c.opened.get(), c.failed.get(), c.ended.get(), c.non200.get());
    System.out.flush();
    group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
  }

  static long pct(long[] sorted, int p) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }

  /** One keep-alive connection, one GET at a time; returns each round trip in ns. */
  static long[] probe(String host, int port, long seconds, long intervalMs) throws IOException, InterruptedException {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    long[] out = new long[(int) (seconds * 1000 / Math.max(1, intervalMs)) + 16];
    int n = 0;
    byte[] req = ("GET /_parapet/health HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    try (Socket s = new Socket()) {
      s.setTcpNoDelay(true);
      s.connect(new InetSocketAddress(host, port), 10_000);
      s.setSoTimeout(30_000);
      OutputStream os = s.getOutputStream();
      InputStream is = new BufferedInputStream(s.getInputStream());
      while (System.nanoTime() < end && n < out.length) {
        long t = System.nanoTime();
        os.write(req);
        os.flush();
        readResponse(is);
        long took = System.nanoTime() - t;
        out[n++] = took;
        if (took > 10_000_000L) { // when: to line up with the gateway's GC log (-Xlog:gc:...:time)
          System.err.printf(Locale.ROOT, "SLOW probe at %s took %d us%n",
              java.time.Instant.now().minusNanos(took), took / 1000);
        }
        Thread.sleep(intervalMs);
      }
    }
    return Arrays.copyOf(out, n);
  }

  private static void readResponse(InputStream is) throws IOException {
    StringBuilder line = new StringBuilder();
    int contentLength = 0;
    boolean first = true;
    while (true) {
      int ch = is.read();
      if (ch < 0) {
        throw new IOException("probe: connection closed");
      }
      if (ch == '\n') {
        String l = line.toString().trim();
        line.setLength(0);
        if (l.isEmpty()) {
          break;
        }
        if (first && !l.startsWith("HTTP/1.1 200")) {
          throw new IOException("probe: " + l);
        }
        first = false;
        if (l.regionMatches(true, 0, "content-length:", 0, 15)) {
          contentLength = Integer.parseInt(l.substring(15).trim());
        }
      } else {
        line.append((char) ch);
      }
    }
    for (int i = 0; i < contentLength; i++) {
      if (is.read() < 0) {
        throw new IOException("probe: short body");
      }
    }
  }

  static final class Counters {
    final AtomicInteger opened = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();
    final AtomicInteger ended = new AtomicInteger();
    final AtomicInteger non200 = new AtomicInteger();
    final AtomicLong chunks = new AtomicLong();
  }

  /** Counts a stream as open at its first body byte; one that ends or drops counts as ended. */
  static final class StreamHandler extends SimpleChannelInboundHandler<HttpObject> {
    private final Counters c;
    private boolean open;
    private boolean settled;

    StreamHandler(Counters c) {
      this.c = c;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (msg instanceof HttpResponse r && r.status().code() != 200) {
        c.non200.incrementAndGet();
        fail();
        ctx.close();
        return;
      }
      if (msg instanceof HttpContent content) {
        if (content.content().isReadable()) {
          c.chunks.incrementAndGet();
          if (!open && !settled) {
            open = true;
            settled = true;
            c.opened.incrementAndGet();
          }
        }
        if (msg instanceof LastHttpContent) {
          end();
          ctx.close();
        }
      }
    }

    private void fail() {
      if (!settled) {
        settled = true;
        c.failed.incrementAndGet();
      }
    }

    private void end() {
      if (open) {
        open = false;
        c.ended.incrementAndGet();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      fail();
      end();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** {@code n} chars of plain prose: no secrets for the redactor, ordinary work for the tokenizer. */
  static String prose(int n) {
    String words = "The quarterly review covers shipping delays, supplier contracts and the support backlog. ";
    StringBuilder sb = new StringBuilder(n + words.length());
    while (sb.length() < n) {
      sb.append(words);
    }
    return sb.substring(0, n);
  }
}
