package dev.parapet.core.store;

import java.util.Objects;

/**
 * Usage of one group over a date range: a tenant, route or service name, or a day ({@code
 * YYYY-MM-DD}). Includes days already rolled up by retention. Cost in nano-USD.
 */
public record UsageRow(
    String group, long requests, long tokensIn, long tokensOut, long costNanoUsd, long blocked) {
  public UsageRow {
    Objects.requireNonNull(group, "group");
  }
}
