package dev.parapet.runtime.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Collects Netty's leak reports (surefire runs with the paranoid detector) so a test can fail on
 * them instead of leaving them in a log: {@link #assertNoLeaks()} forces a collection, lets the
 * detector poll its queue (it does on allocation), and asserts nothing was reported.
 */
public final class LeakWatch {
  private static final Logger DETECTOR = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
  private static final ListAppender<ILoggingEvent> REPORTS = new ListAppender<>();

  static {
    REPORTS.start();
    DETECTOR.addAppender(REPORTS);
  }

  private LeakWatch() {}

  public static void start() {
    // class initialisation attaches the appender
  }

  public static void assertNoLeaks() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
      for (int j = 0; j < 64; j++) {
        ByteBuf b = ByteBufAllocator.DEFAULT.directBuffer(16);
        b.release();
      }
    }
    List<String> leaks;
    synchronized (REPORTS) {
      leaks = REPORTS.list.stream().map(ILoggingEvent::getFormattedMessage)
          .filter(m -> m.contains("LEAK")).toList();
      REPORTS.list.clear(); // reported once, by the first check that sees it
    }
    assertEquals(List.of(), leaks);
  }
}
