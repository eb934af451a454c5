package dev.parapet.runtime.policy.tokens;

import dev.parapet.core.budget.PromptTokens;
import dev.parapet.core.budget.TokenLimit;
import dev.parapet.core.config.Route;
import dev.parapet.core.tokens.CountCache;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.policy.PolicyRefusals;
import dev.parapet.runtime.policy.budget.Budgets;
import dev.parapet.runtime.provider.ChatMessages;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The policy group's {@code max_tokens_in} check (400 {@code max_tokens_in_exceeded}), after
 * redaction so that it counts the prompt that will actually be sent, before the budget hold so
 * that an oversized prompt never reserves money. The cheap UTF-8 bound admits most prompts
 * without running the tokenizer ({@link TokenLimit}); only a prompt near the limit is counted,
 * with the route model's own encoding (or the documented estimate for Anthropic). Counts of
 * message texts of {@value CountCache#MIN_CHARS} chars or more are remembered per service
 * ({@link CountCache}), so a system prompt or a conversation's history resent on every turn is
 * tokenized once.
 *
 * <p>{@code max_tokens_out} is not checked here: the route stage already capped (or set) the
 * caller's {@code max_tokens} to it. Stateless, shared by every connection.
 */
@ChannelHandler.Sharable
public final class TokenLimitHandler extends ChannelInboundHandlerAdapter {
  private static final int CALLER_GONE = 499;

  /** Prompts whose byte bound is above this are counted off the event loop (~1 ms of jtokkit). */
  static final int OFF_LOOP_BYTES = 16 * 1024;

  /**
   * Counts large prompts so that a 1 MB prompt (~60 ms of tokenizing) never holds up the other
   * connections of its event loop. Bounded: two threads, 256 waiting; when full, the event loop
   * counts the prompt itself, as before, rather than refuse it.
   */
  private static final ThreadPoolExecutor COUNTING = new ThreadPoolExecutor(
      2, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(256),
      new DefaultThreadFactory("parapet-tokens", true), new ThreadPoolExecutor.AbortPolicy());

  static {
    COUNTING.allowCoreThreadTimeOut(true);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof GatewayRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    Route route = request.route();
    int limit = route.policy().maxTokensIn();
    PromptTokens prompt = PromptTokens.of(counterFor(request), ChatMessages.texts(request.body()));
    // Off the loop when it is large and a count is coming: deciding needs it (the bound passes
    // the limit) or the budget will price it.
    if (prompt.upperBound() > OFF_LOOP_BYTES && (prompt.upperBound() > limit || Budgets.priced(route))) {
      try {
        COUNTING.execute(() -> {
          prompt.exact();
          try {
            ctx.executor().execute(() -> counted(ctx, request, prompt));
          } catch (RejectedExecutionException loopGone) {
            // The event loop is shutting down: so is this connection.
          }
        });
        return;
      } catch (RejectedExecutionException full) {
        // Every counting thread busy and the line full: count here rather than refuse.
      }
    }
    decide(ctx, request, prompt);
  }

  /** Back on the event loop with the count made off it. */
  private void counted(ChannelHandlerContext ctx, GatewayRequest request, PromptTokens prompt) {
    if (!ctx.channel().isActive()) {
      PolicyRefusals.complete(ctx, request, CALLER_GONE, Optional.empty()); // its one completion
      return;
    }
    decide(ctx, request, prompt);
  }

  private void decide(ChannelHandlerContext ctx, GatewayRequest request, PromptTokens prompt) {
    Route route = request.route();
    int limit = route.policy().maxTokensIn();
    if (TokenLimit.check(prompt, limit) instanceof TokenLimit.Exceeded exceeded) {
      PolicyRefusals.refuse(ctx, request, ParapetError.MAX_TOKENS_IN_EXCEEDED,
          "the prompt is " + exceeded.tokens() + " tokens" + (prompt.isEstimate() ? " (estimated)" : "")
              + "; route " + route.name() + " allows max_tokens_in " + limit);
      return;
    }
    // The budget behind us prices the same prompt: hand it the bound and any count made here.
    ctx.channel().attr(PROMPT).set(new Counted(request.requestId(), prompt));
    ctx.fireChannelRead(request);
  }

  /** Long texts' counts, remembered per service: a service's system prompt and history count once. */
  private static final CountCache COUNTS = new CountCache();

  /** The counter for {@code request}'s route, remembering long texts under its service. */
  public static TokenCounter counterFor(GatewayRequest request) {
    Route route = request.route();
    return TokenCounter.forModel(route.provider().type(), route.provider().model())
        .cachingIn(COUNTS, request.service().label());
  }

  private static final AttributeKey<Counted> PROMPT = AttributeKey.valueOf("parapet.prompt-tokens");

  private record Counted(String requestId, PromptTokens tokens) {}

  /**
   * The prompt of {@code request} as this handler measured it (the cheap bound, and the exact
   * count if deciding needed one), taken off the connection; empty when this handler did not see
   * that request (a pipeline without it, or a test).
   */
  public static Optional<PromptTokens> takePrompt(Channel channel, GatewayRequest request) {
    Counted c = channel.attr(PROMPT).getAndSet(null);
    return c != null && c.requestId().equals(request.requestId()) ? Optional.of(c.tokens()) : Optional.empty();
  }
}
