package dev.parapet.core.budget;

import java.util.Objects;

/** The outcome of {@link BudgetLedger#tryHold}: a hold, or which scope refused and why. */
public sealed interface HoldResult {
  /** The call may proceed once {@link Hold#persisted()} completes normally. */
  record Granted(Hold hold) implements HoldResult {
    public Granted {
      Objects.requireNonNull(hold, "hold");
    }
  }

  /**
   * The call must be refused (402, or 503-like for {@link Scope#OVERLOADED}).
   *
   * @param capNanos the cap that could not cover the call (for OVERLOADED: the open-hold bound)
   * @param usedNanos settled plus held in that scope at the time (for OVERLOADED: open holds)
   */
  record Refused(Scope scope, long capNanos, long usedNanos) implements HoldResult {
    public Refused {
      Objects.requireNonNull(scope, "scope");
    }
  }
}
