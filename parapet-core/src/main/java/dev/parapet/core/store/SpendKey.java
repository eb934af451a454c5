package dev.parapet.core.store;

import java.util.Objects;

/** Whose daily spend a figure is: a route's or a tenant's. */
public record SpendKey(Scope scope, String name) {
  /** Spend is capped per route and per tenant (SPEC §2 {@code budget_daily_usd}). */
  public enum Scope {
    ROUTE("route"),
    TENANT("tenant");

    private final String column;

    Scope(String column) {
      this.column = column;
    }

    /** The value stored in {@code spend_day.scope}. */
    String column() {
      return column;
    }
  }

  public SpendKey {
    Objects.requireNonNull(scope, "scope");
    RecordFields.name("name", name);
  }

  public static SpendKey route(String name) {
    return new SpendKey(Scope.ROUTE, name);
  }

  public static SpendKey tenant(String name) {
    return new SpendKey(Scope.TENANT, name);
  }
}
