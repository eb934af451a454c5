package dev.parapet.runtime.policy.budget;

import dev.parapet.core.budget.Cost;
import dev.parapet.core.budget.Hold;
import dev.parapet.core.budget.HoldResult;
import dev.parapet.core.budget.PromptTokens;
import dev.parapet.core.budget.Scope;
import dev.parapet.core.config.Pricing;
import dev.parapet.core.config.Route;
import dev.parapet.core.pricing.PriceTable;
import dev.parapet.core.pricing.UnseenOutput;
import dev.parapet.core.store.EventKind;
import dev.parapet.core.text.Utf8;
import dev.parapet.core.tokens.TokenCounter;
import dev.parapet.runtime.Charge;
import dev.parapet.runtime.Charges;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.RequestCompleted;
import dev.parapet.runtime.http.ParapetError;
import dev.parapet.runtime.policy.EnforcementEvents;
import dev.parapet.runtime.policy.OffLoop;
import dev.parapet.runtime.policy.OutputTallies;
import dev.parapet.runtime.policy.OutputTally;
import dev.parapet.runtime.policy.PolicyRefusals;
import dev.parapet.runtime.policy.tokens.TokenLimitHandler;
import dev.parapet.runtime.provider.AnthropicModels;
import dev.parapet.runtime.provider.ChatMessages;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.math.BigDecimal;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;

/**
 * The last handler of the policy group: reserves a call's worst-case cost against its route's
 * {@code budget_daily_usd} and its tenant's {@code spend.daily_usd_cap} before the call may go
 * upstream, and settles (or releases) that hold when the request completes. Last, so that the
 * cheaper refusals (redaction, token limit) never reserve money, and so that the prompt it prices
 * is the one that will actually be sent (already scrubbed).
 *
 * <p>Worst case = the prompt's exact tokens × input price + (the (already capped) output tokens
 * asked for + a Predicted Outputs prediction's tokens, which are billed as output when the answer
 * does not use them) × the choices asked for ({@code n}) × output price. The prompt is counted
 * once per request: the token limit ahead of us hands over its count when it had to make one
 * ({@link TokenLimitHandler#takePrompt}). A refused hold answers 402 {@code budget_exceeded}
 * naming the scope and what is left today; a full ledger or a hold the store cannot make durable answers 503. The
 * request is forwarded only after the hold is durable (its future completes on the store's
 * writer thread; we hop back to this connection's event loop), so a crash can never forget a
 * reservation that reached a provider.
 *
 * <p>One request at a time per connection, so the current hold lives here. It is closed exactly
 * once: on the request's {@link RequestCompleted} (see {@link Settlement} for what is charged),
 * or when the connection goes away or this handler is removed first. The ledger itself makes a
 * second settle or release a no-op.
 */
public final class BudgetHandler extends ChannelInboundHandlerAdapter {
  private final Budgets budgets;
  private final EnforcementEvents events;
  private final OutputTallies tallies;
  private final Charges charges;
  private Call current;

  public BudgetHandler(Budgets budgets, EnforcementEvents events, OutputTallies tallies, Charges charges) {
    this.budgets = Objects.requireNonNull(budgets, "budgets");
    this.events = Objects.requireNonNull(events, "events");
    this.tallies = Objects.requireNonNull(tallies, "tallies");
    this.charges = Objects.requireNonNull(charges, "charges");
  }

  /** One call's hold and what settling it needs. */
  private static final class Call {
    final GatewayRequest request;
    final Hold hold;
    final Pricing pricing;
    final Optional<BigDecimal> cachedInputPer1mUsd;
    final long promptTokens;
    /** Output may be billed that the answer never shows: reasoning, thinking, a prediction's rejected tokens. */
    final Settlement.Unseen unseenOutput;
    OutputTally tally;

    Call(GatewayRequest request, Hold hold, Pricing pricing, long promptTokens, Settlement.Unseen unseenOutput) {
      this.request = request;
      this.hold = hold;
      this.pricing = pricing;
      this.cachedInputPer1mUsd = PriceTable.cachedInput(request.route().provider());
      this.promptTokens = promptTokens;
      this.unseenOutput = unseenOutput;
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof GatewayRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    Route route = request.route();
    Pricing pricing = PriceTable.effective(route.provider());
    boolean priced = Budgets.priced(pricing);
    PromptTokens prompt = TokenLimitHandler.takePrompt(ctx.channel(), request)
        .orElseGet(() -> PromptTokens.of(TokenLimitHandler.counterFor(request), ChatMessages.texts(request.body())));
    // Each of the n choices may be max_tokens long, and the provider bills every one; a
    // prediction's tokens the answer does not use are billed as output on top.
    long predicted = ChatMessages.prediction(request.body()).map(p -> predictionTokens(route, p)).orElse(0L);
    long maxOut = ((long) ChatMessages.maxOutputTokens(request.body()).orElse(route.policy().maxTokensOut())
        + predicted) * ChatMessages.choices(request.body());
    // Counted once per request: here, unless the token limit already had to count it. A free
    // route's prompt is not counted for its sake (a row of a call without reported usage then
    // shows the count only if the token limit made one).
    long promptTokens = priced || prompt.isCounted() ? prompt.exact() : 0;
    long worst = Cost.worstCase(pricing, promptTokens, maxOut);
    HoldResult result = budgets.ledger().tryHold(route.name(), budgets.routeCap(route), route.tenant(),
        budgets.tenantCap(route.tenant()), worst, budgets.clock().instant());
    if (result instanceof HoldResult.Refused refused) {
      refuse(ctx, request, refused, worst);
      return;
    }
    Call call = new Call(request, ((HoldResult.Granted) result).hold(), pricing, promptTokens,
        unseen(route, request, predicted));
    current = call;
    call.hold.persisted().whenComplete((v, e) -> {
      try {
        ctx.executor().execute(() -> persisted(ctx, call, e));
      } catch (RejectedExecutionException closing) {
        budgets.ledger().release(call.hold); // the event loop is gone: so is the caller
      }
    });
  }

  private void persisted(ChannelHandlerContext ctx, Call call, Throwable failure) {
    if (current != call) {
      return; // the caller left meanwhile; the hold was released then
    }
    if (failure != null) {
      current = null;
      budgets.ledger().release(call.hold);
      PolicyRefusals.refuse(ctx, call.request, ParapetError.SERVICE_UNAVAILABLE,
          "the spend ledger could not record this call; retry later");
      return;
    }
    call.tally = tallies.open(call.request.requestId());
    charges.expect(call.request.requestId());
    ctx.fireChannelRead(call.request);
  }

  private void refuse(ChannelHandlerContext ctx, GatewayRequest request, HoldResult.Refused refused, long worst) {
    if (refused.scope() == Scope.OVERLOADED) {
      PolicyRefusals.refuse(ctx, request, ParapetError.SERVICE_UNAVAILABLE,
          "too many calls are holding budget right now; retry later");
      return;
    }
    boolean route = refused.scope() == Scope.ROUTE;
    long left = Math.max(0, refused.capNanos() - refused.usedNanos());
    String who = route
        ? "route " + request.route().name() + " daily budget"
        : "tenant " + request.route().tenant() + " daily cap";
    // The event's money reads as /_parapet/usage writes it; the caller's message stays short.
    events.record(request, EventKind.BUDGET_EXCEEDED, Map.of(
        "scope", route ? "route" : "tenant",
        "cap_usd", Cost.toUsdText(refused.capNanos()),
        "left_usd", Cost.toUsdText(left),
        "worst_case_usd", Cost.toUsdText(worst)));
    PolicyRefusals.refuse(ctx, request, ParapetError.BUDGET_EXCEEDED,
        who + " of $" + usd(refused.capNanos()) + " cannot cover this call's worst case of $" + usd(worst)
            + "; $" + usd(left) + " left today (UTC)");
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof RequestCompleted completed && current != null
        && current.request.requestId().equals(completed.requestId())) {
      Call call = current;
      current = null;
      close(call, completed);
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    // The terminal behind us ends a forwarded call with its own completion (499); settle here
    // only what is still open after it ran, and end a call still waiting for its hold.
    ctx.fireChannelInactive();
    Call call = current;
    if (call != null) {
      current = null;
      close(call, gone(ctx, call));
      if (call.tally == null) {
        PolicyRefusals.complete(ctx, call.request, RequestCompleted.goneStatus(ctx.channel()),
            RequestCompleted.goneError(ctx.channel()));
      }
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    Call call = current;
    if (call != null) {
      current = null;
      close(call, gone(ctx, call));
    }
  }

  private static RequestCompleted gone(ChannelHandlerContext ctx, Call call) {
    return new RequestCompleted(call.request.requestId(), Optional.of(call.request),
        RequestCompleted.goneStatus(ctx.channel()), RequestCompleted.goneError(ctx.channel()),
        Optional.empty(), Optional.empty(), 0);
  }

  private void close(Call call, RequestCompleted completed) {
    if (call.tally == null) {
      budgets.ledger().release(call.hold); // never forwarded: nothing can have been charged
      return;
    }
    tallies.close(call.request.requestId());
    call.tally.whenFree(() -> settle(call, completed));
  }

  /**
   * Charges a forwarded call what it cost (Settlement), once its tally is free to read, and hands
   * the charge to the recorders waiting for it (its telemetry row, its metrics).
   */
  private void settle(Call call, RequestCompleted completed) {
    Charge charge = Settlement.charge(completed, call.pricing, call.cachedInputPer1mUsd, call.promptTokens,
        call.hold.worstCaseNanos(), call.tally, call.unseenOutput).on(call.hold.day());
    // The row first, so that it lands in the commit that takes the settlement (the next hold's,
    // or the writer's window's).
    charges.settle(call.request.requestId(), charge);
    if (charge.basis() == Charge.Basis.NONE) {
      budgets.ledger().release(call.hold);
    } else {
      budgets.ledger().settle(call.hold, charge.nanoUsd());
    }
  }

  /**
   * What output {@code request} may be billed for and never show: OpenAI's reasoning models and a
   * prediction's rejected tokens until the provider's usage tells it; an anthropic call that thinks
   * ({@code reasoning_effort}, or on a model that thinks unasked: {@link
   * AnthropicModels#thinksUnasked}) until a complete answer's does ({@link
   * UnseenOutput#summarizesThinking}).
   */
  private static Settlement.Unseen unseen(Route route, GatewayRequest request, long predicted) {
    if (UnseenOutput.billedBy(route.provider()) || predicted > 0) {
      return Settlement.Unseen.UNTIL_USAGE;
    }
    if (UnseenOutput.summarizesThinking(route.provider()) && (ChatMessages.asksForReasoning(request.body())
        || AnthropicModels.thinksUnasked(route.provider().model()))) {
      return Settlement.Unseen.UNTIL_COMPLETE;
    }
    return Settlement.Unseen.NONE;
  }

  /**
   * A prediction's tokens with the route's counter; past the length the event loop counts a prompt
   * ({@link OffLoop#THRESHOLD} chars), its UTF-8 bound instead, which is never less.
   */
  private static long predictionTokens(Route route, String prediction) {
    if (prediction.length() > OffLoop.THRESHOLD) {
      return Utf8.length(prediction);
    }
    return TokenCounter.forModel(route.provider().type(), route.provider().model()).count(prediction);
  }

  static String usd(long nanos) {
    BigDecimal v = Cost.toUsd(nanos).stripTrailingZeros();
    return v.signum() == 0 ? "0" : v.toPlainString();
  }
}
