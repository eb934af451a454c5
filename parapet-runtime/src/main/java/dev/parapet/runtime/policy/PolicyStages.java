package dev.parapet.runtime.policy;

import dev.parapet.core.seal.HydratedConfig;
import dev.parapet.core.store.StoreException;
import dev.parapet.core.store.TelemetryStore;
import dev.parapet.runtime.Charges;
import dev.parapet.runtime.GatewayRequest;
import dev.parapet.runtime.policy.budget.BudgetHandler;
import dev.parapet.runtime.policy.budget.Budgets;
import dev.parapet.runtime.policy.drift.DriftLock;
import dev.parapet.runtime.policy.redact.RedactionHandler;
import dev.parapet.runtime.policy.tokens.TokenLimitHandler;
import dev.parapet.runtime.stream.StreamGuard;
import dev.parapet.runtime.upstream.ExchangeObserver;
import io.netty.channel.ChannelHandler;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The enforcement of issue 4, assembled once at boot: the policy group's handlers in the order a
 * request meets them — budget hold last, so that cheaper refusals never reserve money — and the
 * per-request observer the upstream stage consults on the answer. Everything shared between
 * connections (the ledger, the events sink, the tallies, the charges) is made here once.
 */
public final class PolicyStages {
  private static final TokenLimitHandler TOKEN_LIMIT = new TokenLimitHandler();
  private final Budgets budgets;
  private final EnforcementEvents events;
  private final OutputTallies tallies = new OutputTallies();
  private final Charges charges = new Charges();
  private final DriftLock drift;

  public PolicyStages(Budgets budgets, EnforcementEvents events) {
    this.budgets = Objects.requireNonNull(budgets, "budgets");
    this.events = Objects.requireNonNull(events, "events");
    this.drift = new DriftLock(events);
  }

  /** Production: the ledger seeded from and journaled to {@code store}; events into it too. */
  public static PolicyStages open(
      HydratedConfig config, TelemetryStore store, Clock clock, int maxOpenHolds) throws StoreException {
    return new PolicyStages(
        Budgets.open(store, config.spec(), clock, maxOpenHolds), EnforcementEvents.into(store));
  }

  /** Handler factories for the policy group, in order, each called once per connection. */
  public List<Supplier<ChannelHandler>> handlers() {
    return List.of(
        () -> new RedactionHandler(events),
        () -> TOKEN_LIMIT,
        () -> new BudgetHandler(budgets, events, tallies, charges));
  }

  /**
   * The answer-side policies for one request (stream guard, drift lock). The guard comes first: it
   * sees every chunk before any other observer can veto it, which its decision of what a caller
   * received at a cut relies on ({@code ExchangeObserver#onStreamCut}).
   */
  public ExchangeObserver observer(GatewayRequest request) {
    return new ObserverChain(List.of(
        new StreamGuard(request, tallies.get(request.requestId()), events),
        drift.forRequest(request)));
  }

  public Budgets budgets() {
    return budgets;
  }

  public OutputTallies tallies() {
    return tallies;
  }

  /** What the budget charged each forwarded call, for the recorders. */
  public Charges charges() {
    return charges;
  }
}
