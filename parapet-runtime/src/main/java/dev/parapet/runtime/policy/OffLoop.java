package dev.parapet.runtime.policy;

import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.PolicyThreads;
import dev.parapet.runtime.RequestCompleted;
import io.netty.channel.ChannelHandlerContext;

/**
 * Policy work on a large prompt, done on the {@link PolicyThreads} so that one request never holds
 * up the other connections of its loop: counting a 1 MB prompt's tokens takes ~60 ms of jtokkit,
 * and redacting 1 MB of adversarial text (every character a possible e-mail) ~400 ms of re2j.
 *
 * <p>The request's pipeline waits meanwhile (the front reads nothing more from the connection until
 * the request completes), so the work may read and rewrite the request's body; the hand-over to the
 * pool and back orders those accesses.
 */
public final class OffLoop {
  /** Prompts larger than this (message text, in chars or UTF-8 bytes) go off the loop. */
  public static final int THRESHOLD = PolicyThreads.THRESHOLD;

  private OffLoop() {}

  /**
   * Runs {@code work} on the pool, then {@code then} on {@code ctx}'s event loop, or, if the caller
   * left meanwhile, ends {@code request} with its one completion instead (also when it left before
   * the work started: the work is then never done). If {@code work} throws, the exception goes
   * down the pipeline from {@code ctx}, as one thrown on the loop would. False, having run
   * nothing, if the pool refused the work: the caller runs both itself.
   */
  public static boolean submit(ChannelHandlerContext ctx, GatewayRequest request, Runnable work, Runnable then) {
    return PolicyThreads.runWaiting(ctx, () -> {
      work.run();
      return Boolean.TRUE;
    }, done -> then.run(),
        () -> PolicyRefusals.complete(ctx, request, RequestCompleted.goneStatus(ctx.channel()),
            RequestCompleted.goneError(ctx.channel())), () -> {});
  }

  /** Tasks the pool has finished since start (tests: the work did go off the loop). */
  public static long completedTasks() {
    return PolicyThreads.completedTasks();
  }
}
