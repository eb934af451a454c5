package dev.parapet.runtime.policy.tokens;

import dev.parapet.core.budget.PromptTokens;
import dev.parapet.core.budget.TokenLimit;
import dev.parapet.core.config.ProviderType;
import dev.parapet.core.config.Route;
import dev.parapet.core.tokens.CountCache;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.policy.OffLoop;
import dev.parapet.runtime.policy.PolicyRefusals;
import dev.parapet.runtime.policy.budget.Budgets;
import dev.parapet.runtime.provider.AnthropicTools;
import dev.parapet.runtime.provider.ChatMessages;
import dev.parapet.runtime.provider.PromptImages;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.util.Optional;
import java.util.function.BooleanSupplier;

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
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof GatewayRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    Route route = request.route();
    int limit = route.policy().maxTokensIn();
    PromptImages images = PromptImages.of(route.provider(), request.body());
    // The texts are built where they are first measured: joining a message's text parts copies them.
    TokenCounter counter = counterFor(request, images);
    PromptTokens prompt = PromptTokens.lazy(counter, ChatMessages.textChars(request.body()),
        () -> ChatMessages.texts(request.body()));
    boolean priced = Budgets.priced(route);
    // A count is coming when deciding needs it (the bound passes the limit) or the budget prices it.
    BooleanSupplier countComing = () -> prompt.upperBound() > limit || priced;
    // Long in chars: its bound (which reads every char) and any count are made off the loop. Short
    // in chars, its bound is cheap here, and multi-byte text past the threshold sends only a coming
    // count there.
    // (The bound's overhead, images and a tool prompt, is no work to count.)
    boolean offLoop = prompt.chars() > OffLoop.THRESHOLD
        || prompt.upperBound() - counter.overhead() > OffLoop.THRESHOLD && countComing.getAsBoolean();
    if (offLoop && OffLoop.submit(ctx, request, () -> {
      if (countComing.getAsBoolean()) {
        prompt.exact();
      }
    }, () -> decide(ctx, request, prompt, images))) {
      return;
    }
    decide(ctx, request, prompt, images); // small (or the pool refused it): count here
  }

  private void decide(ChannelHandlerContext ctx, GatewayRequest request, PromptTokens prompt, PromptImages images) {
    Route route = request.route();
    int limit = route.policy().maxTokensIn();
    if (TokenLimit.check(prompt, limit) instanceof TokenLimit.Exceeded exceeded) {
      PolicyRefusals.refuse(ctx, request, ParapetError.MAX_TOKENS_IN_EXCEEDED,
          "the prompt is " + exceeded.tokens() + " tokens" + (prompt.isEstimate() ? " (estimated)" : "")
              + (images.images() == 0 ? "" : ", " + images.tokens() + " of them for " + images.images()
                  + (images.images() == 1 ? " image" : " images"))
              + "; route " + route.name() + " allows max_tokens_in " + limit);
      return;
    }
    // The budget behind us prices the same prompt: hand it the bound and any count made here.
    ctx.channel().attr(PROMPT).set(new Counted(request.requestId(), prompt));
    ctx.fireChannelRead(request);
  }

  /** Long texts' counts, remembered per service: a service's system prompt and history count once. */
  private static final CountCache COUNTS = new CountCache();

  /**
   * The counter for {@code request}'s route, remembering long texts under its service, with the
   * prompt the provider bills beyond the texts: its images, and an anthropic route's tool-use
   * system prompt.
   */
  public static TokenCounter counterFor(GatewayRequest request) {
    return counterFor(request, PromptImages.of(request.route().provider(), request.body()));
  }

  private static TokenCounter counterFor(GatewayRequest request, PromptImages images) {
    Route route = request.route();
    long overhead = images.tokens()
        + (route.provider().type() == ProviderType.ANTHROPIC ? AnthropicTools.promptOverhead(request.body()) : 0);
    return TokenCounter.forModel(route.provider().type(), route.provider().model())
        .cachingIn(COUNTS, request.service().label())
        .withOverhead((int) Math.min(overhead, Integer.MAX_VALUE));
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
