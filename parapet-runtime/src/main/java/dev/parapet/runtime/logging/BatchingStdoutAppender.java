package dev.parapet.runtime.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes log lines to standard output from one background thread ({@code parapet-log-writer}), in
 * batches: whatever was queued while the previous write ran goes out in the next single {@code
 * write(2)} (to {@code System.out}, whose buffer lets a larger array through in one call). It
 * replaces logback's {@code AsyncAppender} in front of a {@code ConsoleAppender}, which wrote and
 * flushed every line on its own: with an access line per request that was a system call per
 * request, ~3 % of the gateway's CPU in {@code perf} on the bench's 2-core box. At moderate rates
 * lines come one at a time, so the writer lingers up to {@link #setLingerMillis lingerMillis} (20
 * ms) after the first line of a batch before writing it: at 1,000 requests/s that is one wake-up
 * and one write per ~20 lines instead of one each (the wake-ups, not the writes, were the cost).
 * A line is therefore on standard output at most that long after it was logged.
 *
 * <p>Nothing is dropped. A line is queued by the thread that logs it (an event loop does no I/O);
 * when {@link #setQueueSize queueSize} lines wait because standard output cannot keep up, loggers
 * wait too, as they would writing directly. {@link #stop()} writes what is queued, waiting up to
 * {@link #setMaxFlushTime maxFlushTime} ms: Main stops the logger context before the process ends.
 * A line that cannot be encoded, or a write that fails, is reported to logback's status; the writer
 * keeps draining so that no logger ever blocks on a dead stream.
 */
public final class BatchingStdoutAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
  static final String THREAD_NAME = "parapet-log-writer";
  /** Lines per write at most: bounds the batch buffer (~200 KB of access lines). */
  private static final int MAX_BATCH = 1024;

  private Encoder<ILoggingEvent> encoder;
  private int queueSize = 8192;
  private int maxFlushTime = 5000;
  private int lingerMillis = 20;
  private OutputStream out; // null: System.out as it is at each write, as logback's ConsoleAppender
  private BlockingQueue<ILoggingEvent> queue;
  private Thread writer;
  private volatile boolean stopping;
  private boolean reportedFailure; // writer thread only

  public void setEncoder(Encoder<ILoggingEvent> encoder) {
    this.encoder = encoder;
  }

  /** Lines that may wait before a logger has to wait with them. */
  public void setQueueSize(int queueSize) {
    this.queueSize = queueSize;
  }

  /** How long {@link #stop()} waits for queued lines to be written, in ms. */
  public void setMaxFlushTime(int maxFlushTime) {
    this.maxFlushTime = maxFlushTime;
  }

  /** How long the writer waits after a batch's first line for more, in ms; 0 writes at once. */
  public void setLingerMillis(int lingerMillis) {
    this.lingerMillis = lingerMillis;
  }

  /** Where lines go; {@code System.out} unless a test says otherwise. Set before {@link #start()}. */
  void setOutputStream(OutputStream out) {
    this.out = out;
  }

  @Override
  public void start() {
    if (encoder == null) {
      addError("no encoder for appender " + name);
      return;
    }
    if (queueSize < 1) {
      addError("queueSize must be at least 1, was " + queueSize);
      return;
    }
    queue = new ArrayBlockingQueue<>(queueSize);
    stopping = false;
    writer = new Thread(this::writeLoop, THREAD_NAME);
    writer.setDaemon(true);
    super.start();
    writer.start();
  }

  @Override
  protected void append(ILoggingEvent event) {
    event.prepareForDeferredProcessing(); // the message is formatted on the logging thread
    try {
      queue.put(event);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the line is lost, the interrupt is not
    }
  }

  @Override
  public void stop() {
    if (!isStarted()) {
      return;
    }
    super.stop(); // no new lines from here on
    stopping = true;
    LockSupport.unpark(writer);
    try {
      writer.join(Math.max(1, maxFlushTime));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (writer.isAlive()) {
      addWarn(queue.size() + " log lines were not written within " + maxFlushTime + " ms of stopping");
    }
  }

  private void writeLoop() {
    List<ILoggingEvent> batch = new ArrayList<>(MAX_BATCH);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);
    while (true) {
      ILoggingEvent first;
      try {
        first = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        first = null;
      }
      if (first == null) {
        if (stopping && queue.isEmpty()) {
          return;
        }
        continue;
      }
      batch.add(first);
      linger();
      queue.drainTo(batch, MAX_BATCH - 1);
      write(batch, bytes);
      batch.clear();
    }
  }

  /**
   * Gives more lines the chance to join the batch. The writer sleeps rather than waits on the
   * queue, so loggers meanwhile put lines without waking anyone; {@link #stop()} wakes it.
   */
  private void linger() {
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(lingerMillis);
    for (long left = until - System.nanoTime(); left > 0 && !stopping; left = until - System.nanoTime()) {
      LockSupport.parkNanos(this, left);
    }
  }

  private void write(List<ILoggingEvent> batch, ByteArrayOutputStream bytes) {
    bytes.reset();
    for (ILoggingEvent e : batch) {
      try {
        byte[] line = encoder.encode(e);
        if (line != null) {
          bytes.write(line, 0, line.length);
        }
      } catch (RuntimeException ex) {
        addError("a log line could not be encoded", ex);
      }
    }
    OutputStream target = out != null ? out : System.out;
    try {
      bytes.writeTo(target); // one write: System.out's buffer passes a batch larger than itself through whole
      target.flush();
    } catch (IOException ex) {
      if (!reportedFailure) {
        reportedFailure = true;
        addError("standard output refused log lines; they are dropped", ex);
      }
    }
  }
}
