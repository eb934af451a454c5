package dev.parapet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.parapet.runtime.testing.GatewayFixture;
import dev.parapet.runtime.testing.LeakWatch;
import dev.parapet.runtime.testing.RawHttp;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory under abuse, in-process: {@value #EACH} idle connections (connected, never a byte) and
 * {@value #EACH} slow SSE readers (a streamed echo answer asked for, a 4 KiB receive window, never
 * read) held open against the production pipeline at once. Once
 * every slow reader has been answered, heap after a full GC must stay within a per-connection
 * budget (pipeline, channel and codec state; today about 4 KiB is held),
 * and a normal request must still complete. {@code -Dparapet.abuse.each=N} changes the count
 * (both ends live in this JVM: about 4 x N file descriptors). Under the paranoid leak detector
 * the default takes 10-25 s on two busy cores, most of it the 2,000 dispatched requests.
 */
class AbuseMemoryTest {
  static final int EACH = 2000;
  /** Per abusive connection, heap kept after GC: pipeline, channel, codec state — not answers. */
  static final long HEAP_BUDGET_PER_CONNECTION = 48 * 1024;

  @TempDir Path tmp;

  @Test
  void idleAndSlowReadingClientsKeepHeapBoundedAndNormalRequestsFlow() throws Exception {
    int each = Integer.getInteger("parapet.abuse.each", EACH);
    String words = "lorem ".repeat(6).trim(); // a dozen echo events, ~2 KB of SSE
    String streamAsk = GatewayFixture.post("/routes/echo", null, "{\"stream\":true,\"max_tokens\":1000,"
        + "\"messages\":[{\"role\":\"user\",\"content\":\"" + words + "\"}]}");
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    List<Socket> idle = new ArrayList<>();
    List<Socket> slow = new ArrayList<>();
    LeakWatch.start();
    try (ProductionStack stack = ProductionStack.builder(tmp.resolve("data")).echoRoute("echo").start()) {
      String ask = streamAsk.replace("Host: parapet\r\n", "Host: parapet\r\nAuthorization: Bearer " + stack.token + "\r\n");
      assertEquals(200, normalRequest(stack));
      long baseline = heapAfterGc(memory);
      long t0 = System.nanoTime();
      try {
        for (int i = 0; i < each; i++) {
          idle.add(connect(stack.port));
          Socket s = connect(stack.port);
          s.getOutputStream().write(ask.getBytes(StandardCharsets.ISO_8859_1));
          slow.add(s);
        }
        long t1 = System.nanoTime();
        awaitAnswered(slow);
        System.out.printf("abuse: connected in %d ms, answered in %d ms%n",
            TimeUnit.NANOSECONDS.toMillis(t1 - t0), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1));
        assertEquals(2 * each, stack.gateway.openConnections(), "every abusive connection is held open");
        // meanwhile a normal caller is served
        assertEquals(200, normalRequest(stack));
        long held = heapAfterGc(memory) - baseline;
        long direct = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
        long perConnection = held / (2L * each);
        assertTrue(perConnection < HEAP_BUDGET_PER_CONNECTION,
            "heap held per connection: " + perConnection + " B (" + (held >> 20) + " MiB for " + 2 * each
                + " connections; pooled direct memory " + (direct >> 20) + " MiB)");
        System.out.printf("abuse: %d idle + %d slow SSE: heap +%d MiB (%d B/connection), pooled direct %d MiB%n",
            each, each, held >> 20, perConnection, direct >> 20);
      } finally {
        for (Socket s : idle) {
          s.close();
        }
        for (Socket s : slow) {
          s.close();
        }
      }
    }
    LeakWatch.assertNoLeaks();
  }

  private static Socket connect(int port) throws IOException {
    Socket s = new Socket();
    s.setReceiveBufferSize(4096); // before connect, so the window stays small
    s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    return s;
  }

  /** Every slow reader has the first bytes of its answer waiting: the gateway has served them all. */
  private static void awaitAnswered(List<Socket> slow) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (Socket s : slow) {
      while (s.getInputStream().available() == 0) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("a slow reader got no answer");
        }
        Thread.sleep(1);
      }
    }
  }

  private static int normalRequest(ProductionStack stack) throws IOException {
    try (RawHttp c = new RawHttp(stack.port)) {
      c.send(GatewayFixture.post("/routes/echo", stack.token,
          "{\"messages\":[{\"role\":\"user\",\"content\":\"still here?\"}]}"));
      RawHttp.Response r = c.read();
      assertTrue(r.body().contains("still here?"), r.body());
      return r.status();
    }
  }

  private static long heapAfterGc(MemoryMXBean memory) throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    return memory.getHeapMemoryUsage().getUsed();
  }
}
