package dev.parapet.runtime;

import dev.parapet.runtime.boot.Settings;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The threads that take work on text too large for an event loop: parsing a large request body,
 * counting or scanning a large prompt ({@link dev.parapet.runtime.policy.OffLoop}), encoding it for
 * the provider or echoing it, reading, counting and scrubbing a large whole answer. One request's
 * slow text must never hold up the other connections of its loop.
 *
 * <p>Two threads, at the lowest Java priority: with {@code -XX:ThreadPriorityPolicy=1} Linux runs
 * them at nice 4, so a core both want goes to the event loops first (README, Run). Work waits its
 * turn in order, however long the line: its connection waits too
 * (it reads nothing more until its request completes), and every other connection on its loop is
 * served meanwhile. The line is bounded by the connections: a connection has at most one piece of
 * work here at a time (one request in flight, its stages one after another), and work whose caller
 * left before it started is taken out of the line when the connection closes, so nothing is kept
 * for a caller who is gone — except the count of an answer the provider already billed ({@link
 * #runToEnd}): that stays in line, so the gone caller is charged for it. Such work needs a whole
 * provider answer per piece, and past the line's bound the caller's loop does it itself. (Work never runs on its loop because the line is long: a flood of
 * large prompts would then stall every connection of the loops it lands on.)
 */
public final class PolicyThreads {
  /** Text larger than this (chars or UTF-8 bytes) is worked on here rather than on its loop. */
  public static final int THRESHOLD = 16 * 1024;

  /**
   * The line's bound: no more connections than this can be open ({@code PARAPET_MAX_CONNECTIONS}),
   * so the line never refuses while each connection has at most one piece waiting.
   */
  private static final int MAX_WAITING = Settings.MAX_CONNECTIONS_LIMIT;

  private static final ThreadPoolExecutor POOL = new ThreadPoolExecutor(
      2, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(MAX_WAITING),
      new DefaultThreadFactory("parapet-policy", true, Thread.MIN_PRIORITY), new ThreadPoolExecutor.AbortPolicy());

  static {
    POOL.allowCoreThreadTimeOut(true);
  }

  private PolicyThreads() {}

  /**
   * Runs {@code work} on the pool, then hands its result, or what it threw, to {@code then} on
   * {@code channel}'s event loop. The hand-overs order every access: {@code work} may read what the
   * loop wrote before this call, and {@code then} sees all {@code work} wrote.
   *
   * <p>Whatever {@code then} throws goes down {@code channel}'s pipeline as an exception, as if
   * thrown by a handler on the loop: the connection is closed rather than left waiting.
   *
   * <p>Exactly one of two endings follows a true return. Either {@code work} runs, then {@code
   * then} (also when the channel closed while {@code work} ran: {@code then} checks); or the channel
   * closes while {@code work} still waits, and {@code dropped} runs on the loop instead of both: it
   * releases what {@code work} would have, and ends the request. If the loop has shut down before
   * {@code then} could run, the result is dropped: so is the loop's connection. A result must
   * therefore hold nothing that needs releasing.
   *
   * @return false, having run nothing, if the pool refused the work (it cannot while each
   *     connection has at most one piece here): the caller does the work itself
   */
  public static <T> boolean run(
      Channel channel, Supplier<T> work, BiConsumer<T, Throwable> then, Runnable dropped) {
    Task<T> task = new Task<>(channel, work, then, dropped);
    // Listening before the line sees the task: a later close finds it waiting (and drops it) or
    // started (and leaves it to then). On a channel closed already the listener has run (it found
    // nothing to drop): the work runs, and then sees the channel closed.
    channel.closeFuture().addListener(task);
    try {
      POOL.execute(task);
      return true;
    } catch (RejectedExecutionException full) {
      channel.closeFuture().removeListener(task);
      return false;
    }
  }

  /**
   * {@link #run} for work that must be done even if the caller leaves while it waits its turn: work
   * on an answer the provider has already billed, which the settlement charges once it is counted.
   * {@code work} then {@code then} always follow a true return ({@code then} checks whether the
   * channel closed meanwhile); only a loop shut down before {@code then} could run drops the result.
   */
  public static <T> boolean runToEnd(Channel channel, Supplier<T> work, BiConsumer<T, Throwable> then) {
    try {
      POOL.execute(new Task<>(channel, work, then, null));
      return true;
    } catch (RejectedExecutionException full) {
      return false;
    }
  }

  /**
   * {@link #run} for work a request waits on before it is forwarded (a front or policy stage, whose
   * connection reads nothing meanwhile): {@code then} gets the result on {@code ctx}'s loop; if the
   * caller left meanwhile, {@code callerGone} ends the request instead (after {@code dropped}
   * released what the work would have, when it left before the work's turn); what {@code work}
   * threw goes down the pipeline from {@code ctx}, as one thrown on the loop would.
   */
  public static <T> boolean runWaiting(ChannelHandlerContext ctx, Supplier<T> work, Consumer<T> then,
      Runnable callerGone, Runnable dropped) {
    return run(ctx.channel(), work, (result, failure) -> {
      if (!ctx.channel().isActive()) {
        callerGone.run();
      } else if (failure != null) {
        ctx.fireExceptionCaught(failure);
      } else {
        then.accept(result);
      }
    }, () -> {
      dropped.run();
      callerGone.run();
    });
  }

  private static final class Task<T> implements Runnable, ChannelFutureListener {
    private final Channel channel;
    private final Supplier<T> work;
    private final BiConsumer<T, Throwable> then;
    /** Null for work that is never dropped ({@link #runToEnd}): it listens to no close. */
    private final Runnable dropped;

    Task(Channel channel, Supplier<T> work, BiConsumer<T, Throwable> then, Runnable dropped) {
      this.channel = channel;
      this.work = work;
      this.then = then;
      this.dropped = dropped;
    }

    @Override
    public void run() {
      // Taken from the line: a close from now on is for then to notice. A kept-alive connection
      // that sends many large prompts must not collect a listener for each.
      if (dropped != null) {
        channel.closeFuture().removeListener(this);
      }
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
        channel.eventLoop().execute(() -> {
          try {
            then.accept(r, f);
          } catch (RuntimeException bug) {
            // Thrown on a loop task, it would reach only Netty's task logger and leave the request
            // unanswered; down the pipeline, it closes the connection (UnhandledFailureHandler).
            channel.pipeline().fireExceptionCaught(bug);
          }
        });
      } catch (RejectedExecutionException loopGone) {
        // The loop is shutting down, and so is its connection.
      }
    }

    /** The caller's connection closed (on its loop). Still waiting: out of the line, dropped. */
    @Override
    public void operationComplete(ChannelFuture closed) {
      if (POOL.remove(this)) {
        dropped.run();
      }
    }
  }

  /** Tasks the pool has finished since start (tests: the work did go off the loop). */
  public static long completedTasks() {
    return POOL.getCompletedTaskCount();
  }

  /** Work waiting for a policy thread now ({@code parapet_policy_queue_depth}). */
  public static int waiting() {
    return POOL.getQueue().size();
  }
}
