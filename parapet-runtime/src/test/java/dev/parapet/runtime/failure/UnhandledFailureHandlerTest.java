package dev.parapet.runtime.failure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.PrematureChannelClosureException;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class UnhandledFailureHandlerTest {
  @Test
  void aFailureClosesTheConnection() {
    EmbeddedChannel ch = new EmbeddedChannel(new UnhandledFailureHandler());
    ch.pipeline().fireExceptionCaught(new IllegalStateException("caller bytes here"));
    assertFalse(ch.isActive());
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void strayMessagesAreReleased() {
    EmbeddedChannel ch = new EmbeddedChannel(new UnhandledFailureHandler());
    ByteBuf stray = Unpooled.buffer(4).writeInt(1);
    ch.writeInbound(stray);
    assertEquals(0, stray.refCnt());
    assertFalse(ch.finishAndReleaseAll());
  }

  /** Found by FrontFuzzTest: every caller hanging up mid-body logged a warning. */
  @Test
  void aCallerGoneMidRequestIsNotAWarningButABugIs() {
    Logger log = (Logger) LoggerFactory.getLogger("parapet.failure");
    ListAppender<ILoggingEvent> events = new ListAppender<>();
    events.start();
    log.addAppender(events);
    try {
      for (Throwable routine : List.of(new IOException("Connection reset by peer"),
          new PrematureChannelClosureException("Channel closed while still aggregating message"))) {
        EmbeddedChannel ch = new EmbeddedChannel(new UnhandledFailureHandler());
        ch.pipeline().fireExceptionCaught(routine);
        assertFalse(ch.isActive());
        assertFalse(ch.finishAndReleaseAll());
      }
      assertEquals(List.of(), events.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).toList());
      EmbeddedChannel ch = new EmbeddedChannel(new UnhandledFailureHandler());
      ch.pipeline().fireExceptionCaught(new IllegalStateException("a bug"));
      assertEquals(1, events.list.stream().filter(e -> e.getLevel() == Level.WARN).count());
      assertFalse(ch.finishAndReleaseAll());
    } finally {
      log.detachAppender(events);
    }
  }
}
