package dev.parapet.runtime.http1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HeadCheckingDecoderTest {
  private static EmbeddedChannel channel() {
    return new EmbeddedChannel(new StrictHttp1Codec(Duration.ofSeconds(10)));
  }

  private static void write(EmbeddedChannel ch, String s) {
    ch.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1));
  }

  @Test
  void aHeadDribbledByteByByteDecodesOnceComplete() {
    EmbeddedChannel ch = channel();
    String req = "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    for (char c : req.toCharArray()) {
      write(ch, String.valueOf(c));
    }
    HttpRequest head = ch.readInbound();
    assertTrue(head.decoderResult().isSuccess());
    Object o;
    int content = 0;
    boolean last = false;
    while ((o = ch.readInbound()) != null) {
      if (o instanceof io.netty.handler.codec.http.HttpContent c) {
        content += c.content().readableBytes();
      }
      last |= o instanceof LastHttpContent;
      ReferenceCountUtil.release(o);
    }
    assertEquals(3, content);
    assertTrue(last);
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void pipelinedHeadsAreEachChecked() {
    EmbeddedChannel ch = channel();
    write(ch, "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n");
    HttpRequest a = ch.readInbound();
    assertTrue(a.decoderResult().isSuccess());
    ReferenceCountUtil.release(ch.readInbound()); // a's empty last content
    HttpObject b = ch.readInbound();
    assertInstanceOf(HeadFramingException.class, b.decoderResult().cause());
    ReferenceCountUtil.release(b);
    write(ch, "GET /c HTTP/1.1\r\nHost: a\r\n\r\n");
    assertNull(ch.readInbound(), "everything after a framing error is discarded");
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void obsFoldIsRefused() {
    EmbeddedChannel ch = channel();
    write(ch, "GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\t2\r\n\r\n");
    HttpObject o = ch.readInbound();
    assertEquals("obs-fold in a header field", o.decoderResult().cause().getMessage());
    ReferenceCountUtil.release(o);
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void transferEncodingMustBePlainChunked() {
    for (String value : new String[] {"chunked ", "  chunked", "\tchunked", "chunked;x=1", "identity",
        "chunked,chunked", "chunk"}) {
      EmbeddedChannel ch = channel();
      write(ch, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:" + value + "\r\n\r\n0\r\n\r\n");
      HttpObject o = ch.readInbound();
      assertTrue(o.decoderResult().isFailure(), value);
      ReferenceCountUtil.release(o);
      assertFalse(ch.finishAndReleaseAll());
    }
  }

  @Test
  void aSlowHeadIsClosedAtTheDeadline() throws Exception {
    EmbeddedChannel ch = new EmbeddedChannel(new StrictHttp1Codec(Duration.ofMillis(50)));
    write(ch, "GET / HTTP/1.1\r\n");
    Thread.sleep(80);
    ch.advanceTimeBy(100, TimeUnit.MILLISECONDS);
    ch.runPendingTasks();
    ch.runScheduledPendingTasks();
    assertFalse(ch.isActive());
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void theDeadlineWaitsWhileTheConnectionIsNotRead() throws Exception {
    EmbeddedChannel ch = new EmbeddedChannel(new StrictHttp1Codec(Duration.ofMillis(50)));
    write(ch, "GET / HTTP/1.1\r\n");
    ch.config().setAutoRead(false);
    Thread.sleep(80);
    ch.runScheduledPendingTasks();
    assertTrue(ch.isActive());
    assertFalse(ch.finishAndReleaseAll());
  }
}
