package dev.parapet.runtime.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The log writer: lines queued while a write runs go out together in the next one, nothing is lost
 * or reordered per logging thread, a full queue makes loggers wait rather than drop, and stopping
 * writes what is queued.
 */
class BatchingStdoutAppenderTest {
  private final LoggerContext context = new LoggerContext();
  private final Sink sink = new Sink();
  private BatchingStdoutAppender appender;

  /** Records each write as one batch; the first write can be held until released. */
  private static final class Sink extends OutputStream {
    final List<String> writes = new ArrayList<>();
    final ByteArrayOutputStream all = new ByteArrayOutputStream();
    final CountDownLatch firstWriteStarted = new CountDownLatch(1);
    volatile CountDownLatch holdFirst = new CountDownLatch(0);

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      firstWriteStarted.countDown();
      try {
        assertTrue(holdFirst.await(20, TimeUnit.SECONDS));
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      synchronized (this) {
        writes.add(new String(b, off, len, StandardCharsets.UTF_8));
        all.write(b, off, len);
      }
    }

    synchronized List<String> lines() {
      String text = all.toString(StandardCharsets.UTF_8);
      return text.isEmpty() ? List.of() : List.of(text.split("\n"));
    }

    synchronized int writeCount() {
      return writes.size();
    }
  }

  private Logger logger(int queueSize) {
    return logger(queueSize, 20);
  }

  private Logger logger(int queueSize, int lingerMillis) {
    context.setMDCAdapter(new LogbackMDCAdapter()); // what SLF4J's provider does for the real context
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%thread %msg%n");
    encoder.start();
    appender = new BatchingStdoutAppender();
    appender.setContext(context);
    appender.setName("test");
    appender.setEncoder(encoder);
    appender.setQueueSize(queueSize);
    appender.setLingerMillis(lingerMillis);
    appender.setOutputStream(sink);
    appender.start();
    assertTrue(appender.isStarted());
    Logger logger = context.getLogger("test");
    logger.setAdditive(false);
    logger.setLevel(Level.INFO);
    logger.addAppender(appender);
    return logger;
  }

  /** A logger whose writer has taken one line ("first") and is held inside writing it. */
  private Logger loggerStuckInFirstWrite(int queueSize) throws InterruptedException {
    Logger log = logger(queueSize);
    sink.holdFirst = new CountDownLatch(1);
    log.info("first");
    assertTrue(sink.firstWriteStarted.await(10, TimeUnit.SECONDS));
    return log;
  }

  @AfterEach
  void stop() {
    sink.holdFirst.countDown();
    if (appender != null) {
      appender.stop();
    }
    context.stop();
  }

  @Test
  void linesQueuedDuringAWriteLeaveTogetherInTheNext() throws Exception {
    Logger log = loggerStuckInFirstWrite(10_000);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread th = new Thread(() -> {
        for (int i = 0; i < 1_000; i++) {
          log.info("n={}", i);
        }
      }, "logger-" + t);
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) {
      th.join();
    }
    sink.holdFirst.countDown(); // 4,000 lines wait behind the first write
    appender.stop();
    List<String> lines = sink.lines();
    assertEquals(4_001, lines.size());
    assertTrue(sink.writeCount() <= 1 + 4 + 1, "4,000 lines in " + sink.writeCount() + " writes");
    for (int t = 0; t < 4; t++) {
      String prefix = "logger-" + t + " n=";
      List<Integer> seen = lines.stream().filter(l -> l.startsWith(prefix))
          .map(l -> Integer.parseInt(l.substring(prefix.length()))).toList();
      assertEquals(1_000, seen.size(), prefix);
      for (int i = 0; i < seen.size(); i++) {
        assertEquals(i, seen.get(i), "each thread's lines in the order it logged them");
      }
    }
  }

  @Test
  void linesLoggedWhileTheWriterLingersShareOneWrite() throws Exception {
    Logger log = logger(1_000, 500);
    for (int i = 0; i < 100; i++) {
      log.info("line {}", i); // well within the first line's 500 ms
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (sink.lines().size() < 100 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(100, sink.lines().size(), "written without a stop: lingering ends by itself");
    assertEquals(1, sink.writeCount());
  }

  @Test
  void aFullQueueMakesLoggersWaitAndDropsNothing() throws Exception {
    Logger log = loggerStuckInFirstWrite(4);
    AtomicInteger logged = new AtomicInteger();
    Thread th = new Thread(() -> {
      for (int i = 0; i < 50; i++) {
        log.info("line {}", i);
        logged.incrementAndGet();
      }
    }, "busy");
    th.start();
    Thread.sleep(300);
    assertTrue(logged.get() <= 4 + 1, "the logger waits once 4 lines are queued: " + logged.get());
    assertTrue(th.isAlive());
    sink.holdFirst.countDown();
    th.join(10_000);
    assertFalse(th.isAlive());
    appender.stop();
    assertEquals(51, sink.lines().size());
  }

  @Test
  void stoppingWritesWhatIsQueuedAndTakesNoMore() throws Exception {
    Logger log = logger(100);
    for (int i = 0; i < 60; i++) {
      log.info("line {}", i);
    }
    appender.stop();
    assertEquals(60, sink.lines().size());
    log.info("after stop");
    Thread.sleep(150);
    assertEquals(60, sink.lines().size());
    assertFalse(appender.isStarted());
  }

  @Test
  void withoutAnEncoderItDoesNotStart() {
    BatchingStdoutAppender a = new BatchingStdoutAppender();
    a.setContext(context);
    a.start();
    assertFalse(a.isStarted());
  }
}
