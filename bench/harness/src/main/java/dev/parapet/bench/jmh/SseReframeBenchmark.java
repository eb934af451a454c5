package dev.parapet.bench.jmh;

import dev.parapet.core.config.Route;
import dev.parapet.runtime.provider.OpenAiAdapter;
import dev.parapet.runtime.provider.SseEvent;
import dev.parapet.runtime.provider.SseParser;
import dev.parapet.runtime.provider.SseWriter;
import dev.parapet.runtime.provider.StreamChunk;
import dev.parapet.runtime.provider.StreamTranslator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The streaming hot path per answer: a 200-chunk OpenAI SSE body (as bench/run's fake sends it)
 * fed to {@link SseParser}, each event through the OpenAI stream translator, each output framed by
 * {@link SseWriter#frameInto} into one pooled buffer per read (released at once, as the socket
 * write would).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class SseReframeBenchmark {
  static final int CHUNKS = 200;
  private ByteBuf body;
  private Route route;
  private OpenAiAdapter adapter;
  private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;

  @Setup
  public void setUp() {
    route = BenchConfigs.spec(1).routes().get(0);
    adapter = new OpenAiAdapter();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < CHUNKS; i++) {
      String delta = i == 0 ? "{\"role\":\"assistant\",\"content\":\"\"}" : "{\"content\":\"tok" + i + " \"}";
      sb.append("data: {\"id\":\"chatcmpl-bench1\",\"object\":\"chat.completion.chunk\",\"created\":1767225600,"
          + "\"model\":\"" + BenchConfigs.MODEL + "\",\"system_fingerprint\":\"fp_bench\",\"choices\":[{\"index\":0,"
          + "\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":" + (i == CHUNKS - 1 ? "\"stop\"" : "null")
          + "}]}\n\n");
    }
    sb.append("data: {\"id\":\"chatcmpl-bench1\",\"object\":\"chat.completion.chunk\",\"created\":1767225600,"
        + "\"model\":\"" + BenchConfigs.MODEL + "\",\"choices\":[],\"usage\":{\"prompt_tokens\":42,"
        + "\"completion_tokens\":200,\"total_tokens\":242}}\n\ndata: [DONE]\n\n");
    byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
    body = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
  }

  @TearDown
  public void tearDown() {
    body.release();
  }

  /** One whole answer: parse, translate, frame; arriving as 4 KB reads like a socket's. */
  @Benchmark
  public void answer200Chunks(Blackhole bh) throws Exception {
    SseParser parser = new SseParser();
    StreamTranslator translator = adapter.newStreamTranslator(route, false);
    int n = body.readableBytes();
    for (int off = 0; off < n; off += 4096) {
      ByteBuf slice = body.slice(off, Math.min(4096, n - off));
      // As SseResponse does: the events of one read framed into one buffer, one write.
      ByteBuf framed = alloc.buffer(8192);
      for (SseEvent e : parser.feed(slice)) {
        for (StreamChunk out : translator.onEvent(e)) {
          SseWriter.frameInto(framed, out.json());
        }
      }
      bh.consume(framed.readableBytes());
      framed.release();
    }
    bh.consume(translator.usage());
  }
}
