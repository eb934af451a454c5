package dev.parapet.runtime;

import dev.parapet.runtime.provider.Usage;
import java.time.LocalDate;
import java.util.Objects;
import java.util.Optional;

/**
 * What a call was charged against its route's and tenant's daily caps, and on what tokens: the
 * figures its telemetry row and its metrics carry, so that a day's rows add up to the day's
 * settled spend to the nano-USD.
 *
 * @param promptTokens tokens in: as reported, or as counted when the provider reported none
 * @param completionTokens tokens out: as reported, or as counted from what the answer carried
 * @param nanoUsd the charge (1e-9 USD); 0 when nothing was charged
 * @param basis where the figures come from
 * @param day the UTC day whose caps were charged (the day of the call's budget hold, which may be
 *     the day before the call ended); empty when no hold was charged
 */
public record Charge(long promptTokens, long completionTokens, long nanoUsd, Basis basis, Optional<LocalDate> day) {
  /** Where a charge's figures come from. */
  public enum Basis {
    /** The provider's own usage, priced: every complete answer that reported it. */
    REPORTED(null),
    /**
     * No usage reported (a stream cut by a guard, a caller gone, a provider that dropped the
     * stream, a drift refusal): the prompt as counted and the output tokens the answer carried.
     */
    COUNTED("usage:counted"),
    /** Nothing answered within {@code timeout_ms}: the hold's worst case, tokens as seen. */
    WORST_CASE("usage:worst_case"),
    /** Nothing can have been charged (a provider's refusal, an unreachable provider). */
    NONE(null);

    private final String note;

    Basis(String note) {
      this.note = note;
    }

    /** The row's enforcement note that says the figures are not the provider's, or null. */
    public String note() {
      return note;
    }
  }

  public Charge {
    Objects.requireNonNull(day, "day");
    if (promptTokens < 0 || completionTokens < 0 || nanoUsd < 0) {
      throw new IllegalArgumentException("negative charge: " + promptTokens + "/" + completionTokens + "/" + nanoUsd);
    }
  }

  public Charge(long promptTokens, long completionTokens, long nanoUsd, Basis basis) {
    this(promptTokens, completionTokens, nanoUsd, basis, Optional.empty());
  }

  /** This charge, made against the caps of {@code day} (UTC). */
  public Charge on(LocalDate day) {
    return new Charge(promptTokens, completionTokens, nanoUsd, basis, Optional.of(day));
  }

  /** A call that was not charged: its usage as reported (if any) at no cost. */
  public static final Charge NOTHING = new Charge(0, 0, 0, Basis.NONE);

  /** The provider's usage at {@code nanoUsd}. */
  public static Charge reported(Usage usage, long nanoUsd) {
    return new Charge(usage.promptTokens(), usage.completionTokens(), nanoUsd, Basis.REPORTED);
  }
}
