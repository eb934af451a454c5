package dev.parapet.runtime.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Turns the paranoid leak detector's log lines, and any log line holding the planted provider
 * key, into a test failure. The detector reports a leaked buffer
 * when the buffer is collected and a later buffer is tracked, so {@link #assertNoLeaks()} collects
 * garbage and allocates a few times before looking.
 */
final class LeakWatch {
  private static final ListAppender<ILoggingEvent> APPENDER = new ListAppender<>();

  static {
    APPENDER.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(APPENDER);
  }

  private LeakWatch() {}

  static void assertNoLeaks() throws InterruptedException {
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(20);
      for (int j = 0; j < 50; j++) {
        ByteBuf b = ByteBufAllocator.DEFAULT.buffer(16);
        b.release();
      }
    }
    List<String> leaks;
    List<String> secrets;
    synchronized (APPENDER) {
      List<String> lines = APPENDER.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
      APPENDER.list.clear();
      leaks = lines.stream().filter(m -> m.contains("LEAK")).toList();
      secrets = lines.stream().filter(m -> m.contains(TestGateway.PROVIDER_KEY)).toList();
    }
    assertEquals(List.of(), leaks);
    assertEquals(List.of(), secrets, "the provider key was logged");
  }
}
