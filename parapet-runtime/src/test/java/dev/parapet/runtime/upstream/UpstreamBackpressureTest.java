package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.Channel;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A caller that does not read must not make the gateway hold the provider's answer. */
class UpstreamBackpressureTest {
  static final int EVENTS = 6_400;
  static final String FILL = "x".repeat(8_000);

  private TestGateway gateway;

  @BeforeEach
  void start() throws Exception {
    gateway = new TestGateway();
  }

  @AfterEach
  void stop() throws InterruptedException {
    gateway.close();
    LeakWatch.assertNoLeaks();
  }

  @Test
  void slowReaderStopsTheProviderInsteadOfFillingOurMemory() throws Exception {
    AtomicLong sent = new AtomicLong();
    CountDownLatch providerDone = new CountDownLatch(1);
    String event = "data: " + UpstreamStreamingTest.chunk(FILL) + "\n\n";
    long total = (long) EVENTS * event.length();
    try (FakeProvider provider = new FakeProvider((req, c) -> {
      c.sseHead();
      for (int i = 0; i < EVENTS; i++) {
        c.chunk(event);
        sent.addAndGet(event.length());
      }
      c.chunk("data: [DONE]\n\n");
      c.endChunks();
      providerDone.countDown();
    })) {
      gateway.addRoute("r", provider.baseUrl("http", "127.0.0.1"), 30_000);
      try (Socket s = new Socket()) {
        s.setReceiveBufferSize(64 * 1024);
        s.connect(new InetSocketAddress("127.0.0.1", gateway.port()));
        UpstreamStreamingTest.rawPost(s.getOutputStream(), UpstreamStreamingTest.STREAM_ASK);

        long before;
        int still = 0;
        while (still < 4) { // wait until the provider has been stuck on a full socket for a while
          before = sent.get();
          Thread.sleep(250);
          still = sent.get() == before && before > 0 ? still + 1 : 0;
        }
        long pending = pendingToCaller();
        System.out.println("backpressure: provider sent " + sent.get() + " of " + total + " bytes; gateway holds " + pending);
        assertTrue(sent.get() < total / 4, "provider sent " + sent.get() + " of " + total + " bytes to a stalled caller");
        assertTrue(pending < 512 * 1024, "gateway holds " + pending + " bytes for the caller");

        InputStream in = s.getInputStream();
        ByteArrayOutputStream tail = new ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        long events = 0;
        long received = 0;
        String carry = "";
        for (int n = in.read(buf); n != -1; n = in.read(buf)) {
          received += n;
          String text = carry + new String(buf, 0, n, StandardCharsets.ISO_8859_1);
          events += count(text, "data: {");
          carry = text.substring(Math.max(0, text.length() - 8)); // "data: {" never spans past this
          events -= count(carry, "data: {");
          tail.write(buf, 0, n);
          if (tail.size() > 1 << 16) {
            byte[] keep = tail.toByteArray();
            tail.reset();
            tail.write(keep, keep.length - 256, 256);
          }
          if (new String(tail.toByteArray(), StandardCharsets.ISO_8859_1).endsWith("data: [DONE]\n\n\r\n0\r\n\r\n")) {
            break;
          }
        }
        events += count(carry, "data: {");
        assertTrue(providerDone.await(10, TimeUnit.SECONDS));
        assertEquals(EVENTS, events);
        assertTrue(received > total);
      }
    }
    assertEquals(200, gateway.nextCompleted().status());
  }

  private long pendingToCaller() throws Exception {
    long max = 0;
    for (Channel ch : gateway.children) {
      if (ch.isActive()) {
        max = Math.max(max, ch.eventLoop().submit(() -> {
          var out = ch.unsafe().outboundBuffer();
          return out == null ? 0L : out.totalPendingWriteBytes();
        }).get());
      }
    }
    return max;
  }

  private static long count(String s, String needle) {
    long n = 0;
    for (int i = s.indexOf(needle); i >= 0; i = s.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }
}
