package dev.parapet.runtime;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * The threads that take policy work too large for an event loop: counting or scanning a large
 * prompt ({@link dev.parapet.runtime.policy.OffLoop}), reading and scrubbing a large whole answer.
 * One request's slow text must never hold up the other connections of its loop.
 *
 * <p>Bounded: two threads, 256 waiting. When both are full, {@link #run} declines and the caller
 * does the work on its loop, as it would for small input, rather than refuse the request.
 */
public final class PolicyThreads {
  /** Text larger than this (chars or UTF-8 bytes) is worked on here rather than on its loop. */
  public static final int THRESHOLD = 16 * 1024;

  private static final ThreadPoolExecutor POOL = new ThreadPoolExecutor(
      2, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(256),
      new DefaultThreadFactory("parapet-policy", true), new ThreadPoolExecutor.AbortPolicy());

  static {
    POOL.allowCoreThreadTimeOut(true);
  }

  private PolicyThreads() {}

  /**
   * Runs {@code work} on the pool, then hands its result, or what it threw, to {@code then} on
   * {@code loop}. The hand-overs order every access: {@code work} may read what the loop wrote
   * before this call, and {@code then} sees all {@code work} wrote. If the loop has shut down,
   * the result is dropped: so is the loop's connection. A result must therefore hold nothing that
   * needs releasing.
   *
   * @return false, having run nothing, when the pool is full: the caller does the work itself
   */
  public static <T> boolean run(Executor loop, Supplier<T> work, BiConsumer<T, Throwable> then) {
    try {
      POOL.execute(() -> {
        T result = null;
        Throwable failed = null;
        try {
          result = work.get();
        } catch (RuntimeException | StackOverflowError e) {
          failed = e; // as if thrown on the loop: the caller's error handling answers it
        }
        T r = result;
        Throwable f = failed;
        try {
          loop.execute(() -> then.accept(r, f));
        } catch (RejectedExecutionException loopGone) {
          // The loop is shutting down, and so is its connection.
        }
      });
      return true;
    } catch (RejectedExecutionException full) {
      return false;
    }
  }

  /** Tasks the pool has finished since start (tests: the work did go off the loop). */
  public static long completedTasks() {
    return POOL.getCompletedTaskCount();
  }
}
