package dev.parapet.runtime.policy;

import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.RequestCompleted;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Policy work on a large prompt, done off the event loop so that one request never holds up the
 * other connections of its loop: counting a 1 MB prompt's tokens takes ~60 ms of jtokkit, and
 * redacting 1 MB of adversarial text (every character a possible e-mail) ~400 ms of re2j.
 *
 * <p>Bounded: two threads, 256 waiting. When both are full, {@link #submit} declines and the
 * caller does the work on its loop, as it would for a small prompt, rather than refuse the
 * request. The request's pipeline waits meanwhile (the front reads nothing more from the
 * connection until the request completes), so the work may read and rewrite the request's body;
 * the hand-over to the pool and back orders those accesses.
 */
public final class OffLoop {
  /** Prompts larger than this (message text, in chars or UTF-8 bytes) go off the loop. */
  public static final int THRESHOLD = 16 * 1024;

  private static final ThreadPoolExecutor POOL = new ThreadPoolExecutor(
      2, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(256),
      new DefaultThreadFactory("parapet-policy", true), new ThreadPoolExecutor.AbortPolicy());

  static {
    POOL.allowCoreThreadTimeOut(true);
  }

  private OffLoop() {}

  /**
   * Runs {@code work} on the pool, then {@code then} on {@code ctx}'s event loop, or, if the caller
   * left meanwhile, ends {@code request} with its one completion instead. If {@code work} throws,
   * the exception goes down the pipeline from {@code ctx}, as one thrown on the loop would. False,
   * having run nothing, when the pool is full: the caller runs both itself.
   */
  public static boolean submit(ChannelHandlerContext ctx, GatewayRequest request, Runnable work, Runnable then) {
    try {
      POOL.execute(() -> {
        Throwable failed = null;
        try {
          work.run();
        } catch (RuntimeException | StackOverflowError e) {
          failed = e; // as if thrown on the loop: the pipeline's error handling answers it
        }
        Throwable failure = failed;
        try {
          ctx.executor().execute(() -> {
            if (!ctx.channel().isActive()) {
              PolicyRefusals.complete(ctx, request, RequestCompleted.CALLER_GONE, Optional.empty());
            } else if (failure != null) {
              ctx.fireExceptionCaught(failure);
            } else {
              then.run();
            }
          });
        } catch (RejectedExecutionException loopGone) {
          // The event loop is shutting down: so is this connection.
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
