package dev.parapet.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A fake OpenAI chat-completions provider on loopback, for bench/run's slow-stream scenario (and
 * usable for all three answers when nginx is not wanted). The path prefix picks the answer:
 *
 * <ul>
 *   <li>{@code /json/...}: a fixed ~1 KB {@code chat.completion} with usage and the pinned model;
 *   <li>{@code /sse/...}: an SSE answer of {@code --chunks} chunks, written at once;
 *   <li>{@code /slow/...}: the same chunks, one every {@code --interval-ms}, scheduled on the
 *       channel's event loop (so thousands of open streams cost one timer entry each).
 * </ul>
 *
 * <pre>java -cp parapet-bench.jar:parapet-runtime.jar dev.parapet.bench.FakeUpstream
 *     --port 18081 --model gpt-4o-2024-08-06 --chunks 200 --interval-ms 1000 --threads 1</pre>
 */
public final class FakeUpstream {
  private FakeUpstream() {}

  public static void main(String[] args) throws Exception {
    int port = 18081;
    String model = "gpt-4o-2024-08-06";
    int chunks = 200;
    long intervalMs = 1000;
    int threads = 1;
    String writeBodies = null;
    for (int i = 0; i < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(v);
        case "--model" -> model = v;
        case "--chunks" -> chunks = Integer.parseInt(v);
        case "--interval-ms" -> intervalMs = Long.parseLong(v);
        case "--threads" -> threads = Integer.parseInt(v);
        case "--write-bodies" -> writeBodies = v;
        default -> {
          System.err.println("FakeUpstream: unknown option " + args[i]);
          System.exit(2);
        }
      }
    }
    Answers answers = new Answers(model, chunks);
    if (writeBodies != null) {
      // The same bytes for nginx to serve as static files (bench/run's fast upstream).
      java.nio.file.Path dir = java.nio.file.Path.of(writeBodies);
      java.nio.file.Path json = dir.resolve("json/v1/chat/completions");
      java.nio.file.Path sse = dir.resolve("sse/v1/chat/completions");
      java.nio.file.Files.createDirectories(json.getParent());
      java.nio.file.Files.createDirectories(sse.getParent());
      java.nio.file.Files.writeString(json, answers.json.toString(StandardCharsets.UTF_8));
      java.nio.file.Files.writeString(sse, answers.sseAll.toString(StandardCharsets.UTF_8));
      java.nio.file.Path large = dir.resolve("large/v1/chat/completions");
      java.nio.file.Files.createDirectories(large.getParent());
      java.nio.file.Files.writeString(large, Answers.large(model));
      java.nio.file.Path largeSse = dir.resolve("large-sse/v1/chat/completions");
      java.nio.file.Files.createDirectories(largeSse.getParent());
      java.nio.file.Files.writeString(largeSse, Answers.largeStream(model));
      return;
    }
    boolean epoll = Epoll.isAvailable();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads,
        epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    long interval = intervalMs;
    ServerBootstrap b = new ServerBootstrap()
        .group(group)
        .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 8192)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(4 << 20),
                new Handler(answers, interval));
          }
        });
    b.bind("127.0.0.1", port).sync();
    System.err.println("FakeUpstream: listening on 127.0.0.1:" + port + " (" + (epoll ? "epoll" : "nio")
        + ", " + threads + " thread(s), " + chunks + " chunks, " + intervalMs + " ms apart on /slow)");
    Runtime.getRuntime().addShutdownHook(new Thread(group::shutdownGracefully));
    Thread.currentThread().join();
  }

  /** The canned bodies, encoded once. */
  static final class Answers {
    final ByteBuf json;
    final ByteBuf[] sseChunks;
    final ByteBuf sseAll;

    Answers(String model, int chunks) {
      StringBuilder content = new StringBuilder();
      while (content.length() < 560) {
        content.append("Parapet benchmark answer: a fixed completion of roughly one kilobyte. ");
      }
      String body = "{\"id\":\"chatcmpl-bench0000000000000000000001\",\"object\":\"chat.completion\","
          + "\"created\":1767225600,\"model\":\"" + model + "\",\"system_fingerprint\":\"fp_bench\","
          + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
          + content + "\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
          + "\"usage\":{\"prompt_tokens\":42,\"completion_tokens\":120,\"total_tokens\":162}}";
      json = constant(body);
      sseChunks = new ByteBuf[chunks + 2];
      StringBuilder all = new StringBuilder();
      for (int i = 0; i < chunks; i++) {
        String delta = i == 0 ? "{\"role\":\"assistant\",\"content\":\"\"}" : "{\"content\":\"tok" + i + " \"}";
        String finish = i == chunks - 1 ? "\"stop\"" : "null";
        String s = "data: {\"id\":\"chatcmpl-bench1\",\"object\":\"chat.completion.chunk\",\"created\":1767225600,"
            + "\"model\":\"" + model + "\",\"system_fingerprint\":\"fp_bench\",\"choices\":[{\"index\":0,"
            + "\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":" + finish + "}]}\n\n";
        sseChunks[i] = constant(s);
        all.append(s);
      }
      String usage = "data: {\"id\":\"chatcmpl-bench1\",\"object\":\"chat.completion.chunk\",\"created\":1767225600,"
          + "\"model\":\"" + model + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":42,\"completion_tokens\":"
          + chunks + ",\"total_tokens\":" + (42 + chunks) + "}}\n\n";
      sseChunks[chunks] = constant(usage);
      sseChunks[chunks + 1] = constant("data: [DONE]\n\n");
      all.append(usage).append("data: [DONE]\n\n");
      sseAll = constant(all.toString());
    }

    /**
     * A whole answer of {@link LargeCalls#LARGE_BYTES} of prose and no usage, as a local model may
     * send: the gateway counts its output itself, and scans it (bench/run's large scenario).
     */
    static String large(String model) {
      String content = LargeCalls.prose(LargeCalls.LARGE_BYTES);
      return "{\"id\":\"chatcmpl-bench-large\",\"object\":\"chat.completion\",\"created\":1767225600,"
          + "\"model\":\"" + model + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
          + "\"content\":\"" + content + "\"},\"finish_reason\":\"stop\"}]}";
    }

    /**
     * A stream whose first event carries {@link LargeCalls#LARGE_BYTES} of prose in one delta, as a
     * broken or hostile provider may send: the gateway reads, counts and scans it, and cuts the
     * stream (it passes max_tokens_out).
     */
    static String largeStream(String model) {
      String content = LargeCalls.prose(LargeCalls.LARGE_BYTES);
      return "data: {\"id\":\"chatcmpl-bench-large\",\"object\":\"chat.completion.chunk\",\"created\":1767225600,"
          + "\"model\":\"" + model + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content
          + "\"},\"finish_reason\":null}]}\n\ndata: [DONE]\n\n";
    }

    static ByteBuf constant(String s) {
      return Unpooled.unreleasableBuffer(
          Unpooled.directBuffer(s.length()).writeBytes(s.getBytes(StandardCharsets.UTF_8)));
    }
  }

  static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final Answers answers;
    private final long intervalMs;

    Handler(Answers answers, long intervalMs) {
      this.answers = answers;
      this.intervalMs = intervalMs;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      String uri = req.uri();
      boolean keepAlive = HttpUtil.isKeepAlive(req);
      if (uri.startsWith("/json/")) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
            answers.json.duplicate());
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
            .setInt(HttpHeaderNames.CONTENT_LENGTH, answers.json.readableBytes());
        ctx.writeAndFlush(res).addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
      } else if (uri.startsWith("/sse/")) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
            answers.sseAll.duplicate());
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
            .setInt(HttpHeaderNames.CONTENT_LENGTH, answers.sseAll.readableBytes());
        ctx.writeAndFlush(res).addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
      } else if (uri.startsWith("/slow/")) {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
            .set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        HttpUtil.setTransferEncodingChunked(head, true);
        ctx.writeAndFlush(head);
        sendSlow(ctx, 0, keepAlive);
      } else {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND,
            Unpooled.EMPTY_BUFFER);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
      }
    }

    private void sendSlow(ChannelHandlerContext ctx, int i, boolean keepAlive) {
      if (!ctx.channel().isActive()) {
        return;
      }
      if (i == answers.sseChunks.length) {
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
            .addListener(keepAlive ? ChannelFutureListener.CLOSE_ON_FAILURE : ChannelFutureListener.CLOSE);
        return;
      }
      ctx.writeAndFlush(new DefaultHttpContent(answers.sseChunks[i].duplicate()));
      ctx.executor().schedule(() -> sendSlow(ctx, i + 1, keepAlive), intervalMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
