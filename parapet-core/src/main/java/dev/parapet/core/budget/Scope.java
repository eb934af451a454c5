package dev.parapet.core.budget;

/** Why a hold was refused: which cap could not cover the call, or the ledger was full. */
public enum Scope {
  /** The route's {@code budget_daily_usd}. */
  ROUTE,
  /** The tenant's {@code spend.daily_usd_cap}. */
  TENANT,
  /**
   * Too many holds are open at once ({@code maxOpenHolds}): refusing is safer than letting an
   * unbounded number of in-flight calls pin memory and headroom.
   */
  OVERLOADED
}
