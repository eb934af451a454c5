package dev.parapet.runtime.testing;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A test hook for work the gateway hands to its policy threads: it records the thread each piece
 * ran on and, once {@link #hold()} was called, keeps each piece there until {@link #release()}, so
 * a test controls how long the work takes.
 */
public final class HeldWork implements Runnable {
  /** The names of the threads the hook ran on, in order. */
  public final BlockingQueue<String> threads = new LinkedBlockingQueue<>();
  private final CountDownLatch entered = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private volatile boolean hold;

  /** From now on, each piece waits for {@link #release()}. */
  public HeldWork hold() {
    hold = true;
    return this;
  }

  @Override
  public void run() {
    threads.add(Thread.currentThread().getName());
    if (!hold) {
      return;
    }
    entered.countDown();
    try {
      release.await(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether a piece reached the hook and is being held (waits up to 10 s). */
  public boolean awaitHeld() throws InterruptedException {
    return entered.await(10, TimeUnit.SECONDS);
  }

  public void release() {
    release.countDown();
  }
}
