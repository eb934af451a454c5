package dev.parapet.core.budget;

import dev.parapet.core.config.Pricing;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Objects;
import java.util.Optional;

/**
 * Money as a {@code long} count of nano-USD (1e-9 USD).
 *
 * <p>Why nanos: prices are quoted per million tokens with up to a few decimals (e.g. $0.075/1M),
 * so one token can cost a fraction of a micro-dollar. Nano-USD keeps every realistic per-token
 * price exact enough, and a {@code long} holds 9.2e9 USD, far past any daily cap, so the ledger
 * adds and compares plain longs inside its lock. Every conversion from a price rounds <em>up</em>
 * (a hold or a charge is never smaller than the true cost); every conversion of a cap rounds
 * <em>down</em>; arithmetic saturates at {@link Long#MAX_VALUE} instead of wrapping.
 */
public final class Cost {
  private static final BigDecimal NANOS_PER_TOKEN_PER_USD_PER_1M = BigDecimal.valueOf(1000);
  private static final BigDecimal NANOS_PER_USD = BigDecimal.valueOf(1_000_000_000L);
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

  private Cost() {}

  /**
   * The cost of {@code tokens} at {@code usdPer1m} USD per million tokens, in nano-USD, rounded
   * up: {@code ceil(tokens × usdPer1m × 1e9 / 1e6)}; saturates at {@link Long#MAX_VALUE}.
   */
  public static long nanoUsd(long tokens, BigDecimal usdPer1m) {
    Objects.requireNonNull(usdPer1m, "usdPer1m");
    if (tokens < 0) {
      throw new IllegalArgumentException("tokens: " + tokens + " (expected: >= 0)");
    }
    if (usdPer1m.signum() < 0) {
      throw new IllegalArgumentException("usdPer1m: " + usdPer1m + " (expected: >= 0)");
    }
    if (tokens == 0 || usdPer1m.signum() == 0) {
      return 0;
    }
    BigInteger nanos =
        BigDecimal.valueOf(tokens)
            .multiply(usdPer1m)
            .multiply(NANOS_PER_TOKEN_PER_USD_PER_1M)
            .setScale(0, RoundingMode.CEILING)
            .toBigIntegerExact();
    return nanos.compareTo(LONG_MAX) > 0 ? Long.MAX_VALUE : nanos.longValue();
  }

  /**
   * The most a call can cost: its counted prompt plus every output token it may ask for. This is
   * what a hold reserves before the call is forwarded.
   */
  public static long worstCase(Pricing pricing, long promptTokens, long maxOutputTokens) {
    return actual(pricing, promptTokens, maxOutputTokens);
  }

  /**
   * The cost of a call with the usage the provider reported. Same rounding as {@link #worstCase},
   * so a call that used no more tokens than it reserved never settles above its hold.
   */
  public static long actual(Pricing pricing, long inputTokens, long outputTokens) {
    Objects.requireNonNull(pricing, "pricing");
    return saturatedAdd(
        nanoUsd(inputTokens, pricing.inputPer1mUsd()), nanoUsd(outputTokens, pricing.outputPer1mUsd()));
  }

  /**
   * {@link #actual}, with {@code cachedInputTokens} of the input (at most all of it) priced at
   * {@code cachedInputPer1mUsd} when there is such a rate: the provider bills a prompt token it
   * read from its cache below its input price. Never more than {@link #actual} of the same tokens
   * (each part is rounded up on its own), so a call still never settles above its hold.
   */
  public static long actual(Pricing pricing, long inputTokens, long cachedInputTokens,
      Optional<BigDecimal> cachedInputPer1mUsd, long outputTokens) {
    long full = actual(pricing, inputTokens, outputTokens);
    if (cachedInputPer1mUsd.isEmpty() || cachedInputTokens <= 0) {
      return full;
    }
    long cached = Math.min(cachedInputTokens, inputTokens);
    long split = saturatedAdd(saturatedAdd(
        nanoUsd(inputTokens - cached, pricing.inputPer1mUsd()), nanoUsd(cached, cachedInputPer1mUsd.get())),
        nanoUsd(outputTokens, pricing.outputPer1mUsd()));
    return Math.min(full, split);
  }

  /**
   * A daily cap in USD as nano-USD, rounded <em>down</em> (a cap of $0.0000000019 admits 1 nano,
   * never 2): caps fail closed. Saturates at {@link Long#MAX_VALUE}.
   */
  public static long capNanos(BigDecimal usd) {
    Objects.requireNonNull(usd, "usd");
    if (usd.signum() < 0) {
      throw new IllegalArgumentException("usd: " + usd + " (expected: >= 0)");
    }
    BigInteger nanos = usd.multiply(NANOS_PER_USD).setScale(0, RoundingMode.FLOOR).toBigIntegerExact();
    return nanos.compareTo(LONG_MAX) > 0 ? Long.MAX_VALUE : nanos.longValue();
  }

  /** Nano-USD as USD for display and telemetry (exact, e.g. {@code 0.000012500}). */
  public static BigDecimal toUsd(long nanos) {
    return BigDecimal.valueOf(nanos, 9);
  }

  /**
   * Nano-USD as the text every read-only surface writes: {@code /_parapet/usage}, event details,
   * the verified export. Always nine decimals ({@code 0.000001000}, {@code 500.000000000}), so a
   * figure reads and compares the same wherever it appears.
   */
  public static String toUsdText(long nanos) {
    return toUsd(nanos).toPlainString();
  }

  /** {@code a + b} for non-negative amounts, saturating at {@link Long#MAX_VALUE}. */
  static long saturatedAdd(long a, long b) {
    long r = a + b;
    // Overflow iff both operands have the sign opposite to the result's.
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }
}
